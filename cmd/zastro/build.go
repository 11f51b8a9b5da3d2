package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/zastro-dev/zastro/adapters"
	"github.com/zastro-dev/zastro/assemble"
	"github.com/zastro-dev/zastro/templates"
	"github.com/zastro-dev/zastro/transform"
	"github.com/zastro-dev/zastro/transform/engine"
	"github.com/zastro-dev/zastro/upstream"
)

// submodulePath is where the project records the astro monorepo.
const submodulePath = "astro-upstream"

// defaultVersions are the adapter versions built from npm when no upstream
// checkout is present: the newest ones the recipes are known to support
// (each descriptor's Newest).
var defaultVersions = func() map[string]string {
	m := map[string]string{}
	for _, d := range adapters.All() {
		m[d.Name] = d.Newest
	}
	return m
}()

// sourceFlags are the flags that choose an upstream, shared by build and diff.
type sourceFlags struct {
	from, ref, version, repo, dir string
}

func (s *sourceFlags) register(fsFlags interface {
	StringVar(*string, string, string, string)
}) {
	fsFlags.StringVar(&s.from, "from", "", "upstream source: git, npm or dir (default: the astro-upstream submodule when initialised, else npm)")
	fsFlags.StringVar(&s.ref, "ref", "", "git: tag, branch or commit (default: the commit the submodule records, or HEAD of --repo)")
	fsFlags.StringVar(&s.version, "version", "", "npm: exact adapter version, e.g. 11.1.6 (default: the newest supported)")
	fsFlags.StringVar(&s.repo, "repo", "", "git: path or URL of the astro repository (default: ./"+submodulePath+")")
	fsFlags.StringVar(&s.dir, "dir", "", "dir: folder of an adapter package")
}

// source picks the upstream for one adapter.
func (s *sourceFlags) source(e *env, adapter string, multi bool) (upstream.Source, error) {
	from := s.from
	sub := filepath.Join(e.dir, submodulePath)
	if from == "" {
		switch {
		case s.repo != "" || s.ref != "":
			from = "git"
		case s.dir != "":
			from = "dir"
		case s.version != "":
			from = "npm"
		case submoduleInitialised(sub):
			from = "git"
		default:
			from = "npm"
			fmt.Fprintf(e.stderr, "zastro: no %s checkout here; building %s from npm at %s (the newest supported version)\n", submodulePath, adapter, defaultVersions[adapter])
		}
	}
	cache := cacheDir(e)
	switch from {
	case "npm":
		if s.repo != "" || s.ref != "" || s.dir != "" {
			return nil, usagef("--repo, --ref and --dir do not apply to --from npm")
		}
		v := s.version
		if v == "" {
			v = defaultVersions[adapter]
		} else if multi {
			return nil, usagef("--version names one adapter version: build one adapter at a time")
		}
		return &upstream.Npm{
			Version:  v,
			Registry: upstream.RegistryURL(e.dir, e.getenv),
			CacheDir: filepath.Join(cache, "npm"),
			Progress: e.stderr,
		}, nil
	case "git":
		if s.version != "" || s.dir != "" {
			return nil, usagef("--version and --dir do not apply to --from git (use --ref)")
		}
		repo, ref := s.repo, s.ref
		if repo == "" {
			if !submoduleInitialised(sub) {
				return nil, fmt.Errorf("the %s submodule is not initialised: run 'git submodule update --init %s', pass --repo PATH|URL, or build with --from npm", submodulePath, submodulePath)
			}
			repo = sub
			if ref == "" {
				c, err := upstream.SubmoduleCommit(e.dir, submodulePath)
				if err != nil {
					return nil, err
				}
				ref = c
			}
		}
		return &upstream.Git{Repo: repo, CacheDir: filepath.Join(cache, "git"), Ref: ref, Progress: e.stderr}, nil
	case "dir":
		if s.dir == "" {
			return nil, usagef("--from dir needs --dir PATH")
		}
		return &upstream.Dir{Path: s.dir}, nil
	default:
		return nil, usagef("--from %q: want git, npm or dir", from)
	}
}

func submoduleInitialised(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, ".git"))
	return err == nil
}

func cacheDir(e *env) string {
	if d := e.getenv("ZASTRO_CACHE"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "zastro")
	}
	return filepath.Join(os.TempDir(), "zastro-cache")
}

// selectAdapters returns the adapters named on the command line, or every adapter
// that has both a recipe and a WebSocket runtime.
func selectAdapters(names []string) ([]string, error) {
	if len(names) == 0 {
		for _, n := range templates.Adapters() {
			if _, err := transform.RecipeFor(n); err == nil {
				names = append(names, n)
			}
		}
		return names, nil
	}
	seen := map[string]bool{}
	for _, n := range names {
		if _, err := upstream.LookupAdapter(n); err != nil {
			return nil, usagef("%v", err)
		}
		if seen[n] {
			return nil, usagef("adapter %s named twice", n)
		}
		seen[n] = true
	}
	return names, nil
}

type buildReport struct {
	Adapter    string              `json:"adapter"`
	Package    string              `json:"package,omitempty"`
	Version    string              `json:"version,omitempty"`
	Dir        string              `json:"dir,omitempty"`
	Install    string              `json:"install,omitempty"` // npm command that installs the written package
	Provenance upstream.Provenance `json:"provenance"`
	Changes    []engine.Change     `json:"changes"`
	Errors     []string            `json:"errors"`
}

func runBuild(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "build", "build [node|cloudflare ...] [--from git|npm|dir] [--ref REF] [--version V] [--out DIR] [--json]",
		`Builds the WebSocket-enabled packages from an upstream adapter and writes each to
OUT/<adapter> atomically: a failed build leaves the previous output as it was.
With no adapter named, every adapter with a recipe is built.`)
	var src sourceFlags
	src.register(fs)
	out := fs.String("out", "packages", "folder the packages are written to")
	pkgVersion := fs.String("package-version", "", "version of the generated package (default: computed, see README)")
	asJSON := fs.Bool("json", false, "print a JSON report on stdout")
	noVerify := fs.Bool("no-verify", false, "skip the contract check of the assembled package")
	names, err := parseOrHelp(fs, args)
	if err != nil {
		return err
	}
	names, err = selectAdapters(names)
	if err != nil {
		return err
	}
	// Sources are chosen first, in order (their notes go to stderr), then
	// the adapters are built at once; reports keep the order of names.
	stderr := &assemble.LockedWriter{W: e.stderr}
	shared := *e
	shared.stderr = stderr // the sources' progress lines
	opts := make([]assemble.Options, 0, len(names))
	for _, a := range names {
		source, err := src.source(&shared, a, len(names) > 1)
		if err != nil {
			return err
		}
		opts = append(opts, assemble.Options{
			Adapter:  a,
			Source:   source,
			Out:      abs(e, *out),
			Version:  *pkgVersion,
			NpmCache: filepath.Join(cacheDir(e), "npm"),
			Progress: stderr,
			NoVerify: *noVerify,
		})
	}
	var reports []buildReport
	failed := false
	for i, res := range assemble.RunEach(ctx, opts) {
		a := names[i]
		rep := buildReport{Adapter: a, Package: res.Name, Version: res.Version, Dir: res.Dir, Provenance: res.Provenance, Changes: res.Changes, Errors: []string{}}
		if !res.Failed() && res.Dir != "" {
			rep.Install = installCommand(res.Dir)
		}
		if rep.Changes == nil {
			rep.Changes = []engine.Change{}
		}
		for _, m := range res.Errors {
			rep.Errors = append(rep.Errors, m.String())
			fmt.Fprintln(e.stderr, m.String())
		}
		if res.Failed() {
			failed = true
			fmt.Fprintf(e.stderr, "zastro: %s: build failed, nothing written\n", a)
		} else {
			fmt.Fprintf(e.stderr, "zastro: %s %s -> %s (%d files, from %s@%s via %s)\n", res.Name, res.Version, res.Dir, len(res.Files), res.Provenance.Package, res.Provenance.Version, res.Provenance.Source)
			fmt.Fprintf(e.stderr, "zastro: install it in your project with: %s\n", rep.Install)
			fmt.Fprintf(e.stderr, "zastro:   (or run 'zastro pack' and install the .tgz it writes)\n")
		}
		reports = append(reports, rep)
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(reports); err != nil {
			return err
		}
	}
	if failed {
		return errReported
	}
	return nil
}

// installCommand is the npm command that installs the package folder dir.
// A plain `npm install <folder>` links the folder without installing its
// dependencies (npm treats a folder as a workspace-like symlink), and the
// adapter then fails to load; --install-links copies it as a real package.
func installCommand(dir string) string {
	return "npm install --install-links " + shellQuote(dir)
}

// shellQuote quotes s for a POSIX shell when it holds anything but safe
// characters.
func shellQuote(s string) string {
	safe := s != ""
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("/._-+:@=,", c)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func abs(e *env, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(e.dir, p)
}

func runDiff(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "diff", "diff [node|cloudflare ...] [--from git|npm|dir] [--ref REF] [--version V]",
		`Prints a unified diff, per upstream file, of what the recipes change. Nothing is written.`)
	var src sourceFlags
	src.register(fs)
	names, err := parseOrHelp(fs, args)
	if err != nil {
		return err
	}
	names, err = selectAdapters(names)
	if err != nil {
		return err
	}
	failed := false
	for _, a := range names {
		source, err := src.source(e, a, len(names) > 1)
		if err != nil {
			return err
		}
		res := assemble.Assemble(ctx, assemble.Options{Adapter: a, Source: source, NpmCache: filepath.Join(cacheDir(e), "npm"), Progress: e.stderr})
		for _, m := range res.Errors {
			fmt.Fprintln(e.stderr, m.String())
		}
		if res.Failed() {
			failed = true
			continue
		}
		paths := make([]string, 0, len(res.After))
		for p := range res.After {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		for _, p := range paths {
			fmt.Fprint(e.stdout, engine.UnifiedDiff(p, res.Before[p], res.After[p]))
		}
	}
	if failed {
		return errReported
	}
	return nil
}
