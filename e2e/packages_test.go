package e2e

// TestPackageChecks runs the npm ecosystem's package linters on the generated
// packages, and TypeScript on a small user project that uses them:
//
//   - publint --strict on the packed tarball: package.json fields, exports
//     and files agree with what is in the tarball;
//   - attw (Are the Types Wrong?) on the packed tarball, profile esm-only
//     (Astro and its adapters are ESM-only, so the node10 and CommonJS
//     resolutions do not apply): every entry point resolves to JavaScript
//     and to types under node16 and bundler resolution;
//   - tsc on testdata/packagecheck/project, a user project with Astro's
//     strictest tsconfig whose routes call ctx.locals.upgradeWebSocket(),
//     with the newest package installed: no error in the project, whose
//     src/contract.ts also asserts that nothing became `any`, and none in
//     the declarations zastro adds (dist/zastro/, checked with skipLibCheck
//     off; upstream's own declarations are listed, not counted).
//
// Each adapter with a runtime (templates.Adapters) is checked at the newest
// passing release of each major in its declared Supported range (the
// measured range while a recipe declares none), as the last sweep
// (sweep/results) saw them; tsc uses the newest.
//
// The tools are pinned in testdata/packagecheck/package.json and its lock
// and installed there with `npm ci` once (npm's cache makes it mostly
// offline). -short skips the test.

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/zastro-dev/zastro/assemble"
	"github.com/zastro-dev/zastro/pack"
	"github.com/zastro-dev/zastro/sweep"
	"github.com/zastro-dev/zastro/templates"
	"github.com/zastro-dev/zastro/transform"
	"github.com/zastro-dev/zastro/upstream"
)

const (
	packageCheckTimeout = 3 * time.Minute // one tool run
	packageBuildTimeout = 3 * time.Minute
)

func TestPackageChecks(t *testing.T) {
	if testing.Short() {
		t.Skip("package checks: npm tools and real adapter tarballs; skipped with -short")
	}
	repo := repoRoot(t)
	tools := filepath.Join(repo, "testdata", "packagecheck")
	nodeBin := findNode(t, repo)
	env := toolEnv(filepath.Dir(nodeBin))
	installTools(t, tools, env)

	adapters := templates.Adapters()
	if len(adapters) == 0 {
		t.Fatal("no adapter has a runtime: nothing to check")
	}
	cache := filepath.Join(t.TempDir(), "npm")
	for _, a := range adapters {
		t.Run(a, func(t *testing.T) {
			versions := checkedVersions(t, repo, a)
			t.Logf("%s: checking %v", a, versions)
			var newest string
			for _, v := range versions {
				tgz := buildTarball(t, a, v, cache)
				t.Run(v+"/publint", func(t *testing.T) {
					out, err := runCmd(context.Background(), packageCheckTimeout, tools, env, nodeBin,
						filepath.Join(tools, "node_modules", "publint", "src", "cli.js"), "run", tgz, "--strict")
					if err != nil {
						t.Fatalf("publint --strict %s: %v\n%s", filepath.Base(tgz), err, out)
					}
					t.Logf("publint: %s", lastLine(out))
				})
				t.Run(v+"/attw", func(t *testing.T) {
					out, err := runCmd(context.Background(), packageCheckTimeout, tools, env, nodeBin,
						filepath.Join(tools, "node_modules", "@arethetypeswrong", "cli", "dist", "index.js"),
						tgz, "--profile", "esm-only", "--format", "ascii", "--no-color", "--no-emoji")
					if err != nil {
						t.Fatalf("attw --profile esm-only %s: %v\n%s", filepath.Base(tgz), err, out)
					}
				})
				newest = tgz
			}
			t.Run(versions[len(versions)-1]+"/tsc", func(t *testing.T) {
				checkUserProject(t, tools, env, nodeBin, a, newest)
			})
		})
	}
}

// installTools runs `npm ci` in the tools folder unless its node_modules
// is already the install of the current lock.
func installTools(t *testing.T, dir string, env []string) {
	t.Helper()
	marker := filepath.Join(dir, "node_modules", ".package-lock.json")
	if fresh(marker, filepath.Join(dir, "package-lock.json"), filepath.Join(dir, "package.json")) {
		return
	}
	start := time.Now()
	out, err := npmInstall(t, dir, env, []string{"ci", "--no-audit", "--no-fund", "--prefer-offline"})
	if err != nil {
		t.Fatalf("npm ci in %s: %v\n%s", dir, err, tail(out, 40))
	}
	t.Logf("npm ci in %s: %.1fs", dir, time.Since(start).Seconds())
}

// fresh reports whether target exists and is newer than every source.
func fresh(target string, sources ...string) bool {
	st, err := os.Stat(target)
	if err != nil {
		return false
	}
	for _, s := range sources {
		ss, err := os.Stat(s)
		if err != nil || ss.ModTime().After(st.ModTime()) {
			return false
		}
	}
	return true
}

// checkedVersions returns the newest passing release of each major in the
// adapter's declared range, oldest major first, from the committed sweep.
func checkedVersions(t *testing.T, repo, adapter string) []string {
	t.Helper()
	recipe, err := transform.RecipeFor(adapter)
	if err != nil {
		t.Fatal(err)
	}
	file := sweep.ResultsFile(filepath.Join(repo, "sweep", "results"), adapter)
	rep, err := sweep.Load(file)
	if err != nil {
		t.Fatalf("the package checks take their versions from the last sweep: %v (run 'zastro sweep %s')", err, adapter)
	}
	supported := recipe.Supported
	if supported == "" {
		// A recipe still without a declared range is checked over what the
		// sweep measured.
		supported = rep.Measured
		t.Logf("the %s recipe declares no Supported range: checking the measured %q", adapter, supported)
		if supported == "" {
			t.Fatalf("%s: no release passed the last sweep", file)
		}
	}
	newest := map[uint64]*semver.Version{}
	for _, r := range rep.Results {
		v, err := semver.StrictNewVersion(r.Version)
		if err != nil || v.Prerelease() != "" || r.Status != sweep.Pass {
			continue
		}
		if in, _ := sweep.InRange(supported, r.Version); !in {
			continue
		}
		if n := newest[v.Major()]; n == nil || n.LessThan(v) {
			newest[v.Major()] = v
		}
	}
	var out []*semver.Version
	for _, v := range newest {
		out = append(out, v)
	}
	if len(out) == 0 {
		t.Fatalf("%s: no passing release in %q", file, supported)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LessThan(out[j]) })
	s := make([]string, len(out))
	for i, v := range out {
		s[i] = v.Original()
	}
	return s
}

// buildTarball builds the package from the npm tarball of an upstream
// version and packs it as `zastro pack` does.
func buildTarball(t *testing.T, adapter, version, cache string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), packageBuildTimeout)
	defer cancel()
	res := assemble.Assemble(ctx, assemble.Options{
		Adapter:  adapter,
		Source:   &upstream.Npm{Version: version, Registry: upstream.RegistryURL("", nil), CacheDir: cache},
		NpmCache: cache,
	})
	for _, m := range res.Errors {
		t.Error(m.String())
	}
	if res.Failed() {
		t.FailNow()
	}
	tgz, err := pack.Tarball(res.Files)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), pack.FileName(res.Name, res.Version))
	if err := os.WriteFile(path, tgz, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

var tscDiagnostic = regexp.MustCompile(`(?m)^(\S[^(\n]*)\(\d+,\d+\): error TS\d+: .*$`)

// checkUserProject type-checks testdata/packagecheck/project with the
// package installed into its node_modules (the tools' node_modules linked
// beside it).
func checkUserProject(t *testing.T, tools string, env []string, nodeBin, adapter, tgz string) {
	src := filepath.Join(tools, "project")
	cfg := filepath.Join(src, "config", adapter+".ts")
	if _, err := os.Stat(cfg); err != nil {
		t.Fatalf("no astro.config.ts for %s in the user project: write %s", adapter, cfg)
	}
	proj := t.TempDir()
	if err := copyTree(src, proj, func(rel string, _ fs.DirEntry) bool { return rel == "config" }); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(proj, "astro.config.ts"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	nm := filepath.Join(proj, "node_modules")
	if err := os.MkdirAll(nm, 0o755); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(filepath.Join(tools, "node_modules"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if err := os.Symlink(filepath.Join(tools, "node_modules", e.Name()), filepath.Join(nm, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	name, peer, err := untarPackage(tgz, nm)
	if err != nil {
		t.Fatal(err)
	}
	astro, err := installedVersion(tools, "astro")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := satisfies(astro, peer); err != nil || !ok {
		t.Fatalf("%s wants astro %q, the user project has %s (%v): update astro in %s", name, peer, astro, err, filepath.Join(tools, "package.json"))
	}

	start := time.Now()
	out, err := runCmd(context.Background(), packageCheckTimeout, proj, env, nodeBin,
		filepath.Join(nm, "typescript", "bin", "tsc"), "-p", ".", "--skipLibCheck", "false")
	// The project's errors are what a user sees (Astro's tsconfig skips lib
	// checks); with lib checks on, zastro's own declarations (dist/zastro/)
	// must be clean too. Errors in upstream's declarations and in other
	// libraries are listed, not counted: Astro's own are not clean.
	var ours, upstreamDecl, others []string
	for _, m := range tscDiagnostic.FindAllStringSubmatch(string(out), -1) {
		file := filepath.ToSlash(m[1])
		switch {
		case !strings.Contains(file, "node_modules/"):
			ours = append(ours, m[0])
		case strings.Contains(file, "node_modules/"+name+"/dist/zastro/"):
			ours = append(ours, m[0])
		case strings.Contains(file, "node_modules/"+name+"/"):
			upstreamDecl = append(upstreamDecl, m[0])
		default:
			others = append(others, m[0])
		}
	}
	t.Logf("tsc: %.1fs; errors: %d in the project and zastro's declarations, %d in upstream's declarations of %s, %d in other libraries",
		time.Since(start).Seconds(), len(ours), len(upstreamDecl), name, len(others))
	if len(upstreamDecl) > 0 {
		t.Logf("upstream's declarations (lib check only, not counted):\n%s", strings.Join(upstreamDecl, "\n"))
	}
	if len(ours) > 0 {
		t.Fatalf("tsc found errors in the user project or in zastro's declarations of %s:\n%s", name, strings.Join(ours, "\n"))
	}
	if err != nil && len(others)+len(upstreamDecl) == 0 {
		t.Fatalf("tsc: %v\n%s", err, tail(out, 40))
	}
}

// untarPackage extracts an npm tarball into nm/<name> and returns the
// package's name and its astro peer range.
func untarPackage(tgz, nm string) (name, astroPeer string, err error) {
	b, err := os.ReadFile(tgz)
	if err != nil {
		return "", "", err
	}
	gz, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return "", "", err
	}
	files := map[string][]byte{}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", "", err
		}
		rel, ok := strings.CutPrefix(h.Name, "package/")
		if !ok || h.Typeflag != tar.TypeReg || strings.Contains(rel, "..") {
			return "", "", fmt.Errorf("%s: unexpected entry %q", tgz, h.Name)
		}
		if files[rel], err = io.ReadAll(tr); err != nil {
			return "", "", err
		}
	}
	var pj struct {
		Name             string
		PeerDependencies map[string]string
	}
	if err := json.Unmarshal(files["package.json"], &pj); err != nil || pj.Name == "" {
		return "", "", fmt.Errorf("%s: package.json: %v", tgz, err)
	}
	if err := assemble.WriteDir(filepath.Join(nm, pj.Name), files); err != nil {
		return "", "", err
	}
	return pj.Name, pj.PeerDependencies["astro"], nil
}

func satisfies(version, rng string) (bool, error) {
	if rng == "" {
		return true, nil
	}
	c, err := semver.NewConstraint(rng)
	if err != nil {
		return false, err
	}
	v, err := semver.StrictNewVersion(version)
	if err != nil {
		return false, err
	}
	return c.Check(v), nil
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}
