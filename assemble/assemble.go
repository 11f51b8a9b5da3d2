// Package assemble is the assemble stage of zastro: it takes an upstream adapter
// snapshot, applies the adapter's recipe, adds the WebSocket runtime, compiles
// TypeScript file by file with esbuild, rewrites package.json and writes the
// generated npm package atomically.
//
//	res := assemble.Run(ctx, assemble.Options{
//		Adapter: "node",
//		Source:  &upstream.Npm{Version: "11.1.6"},
//		Out:     "packages",
//	})
//	for _, m := range res.Errors {
//		fmt.Fprintln(os.Stderr, m)
//	}
//
// Problems are data: Result.Errors holds messages that point at the upstream
// file, line and column a recipe expected to change.
package assemble

import (
	"context"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/zastro-dev/zastro/templates"
	"github.com/zastro-dev/zastro/transform"
	"github.com/zastro-dev/zastro/transform/engine"
	"github.com/zastro-dev/zastro/upstream"
	"github.com/zastro-dev/zastro/verify"
	"github.com/zastro-dev/zastro/versioning"
)

// Options says what to build and where.
type Options struct {
	Adapter string          // "node" or "cloudflare"
	Source  upstream.Source // where the upstream adapter comes from
	Out     string          // the package is written to Out/<adapter>; "" writes nothing
	Version string          // the package version; "" computes it (see package versioning)
	// Types supplies upstream's type declarations when the snapshot has only
	// TypeScript sources (a git checkout). nil takes them from the npm tarball
	// of the same adapter version.
	Types    func(ctx context.Context, a upstream.Adapter, version string) (*upstream.Snapshot, error)
	NpmCache string    // cache folder for the default Types lookup
	Progress io.Writer // progress lines; nil is silent
	// NoVerify skips the contract check (package verify) that runs on every
	// assembled package.
	NoVerify bool
}

// Result is what a build produced.
type Result struct {
	Name       string // npm package name
	Version    string
	Dir        string // where it was written ("" when Options.Out is "")
	Provenance upstream.Provenance
	Files      map[string][]byte // the package's files by slash path
	Before     map[string][]byte // upstream files that the recipe changed, as upstream has them
	After      map[string][]byte // the same files after the recipe
	Changes    []engine.Change
	Errors     []engine.Message
}

// Failed reports whether the build has errors.
func (r Result) Failed() bool { return len(r.Errors) > 0 }

// Run builds one package and, when Options.Out is set and nothing failed,
// writes it.
func Run(ctx context.Context, opts Options) Result {
	res := Assemble(ctx, opts)
	if res.Failed() || opts.Out == "" {
		return res
	}
	dir := path.Join(opts.Out, opts.Adapter)
	if err := WriteDir(dir, res.Files); err != nil {
		res.Errors = append(res.Errors, engine.Message{Text: err.Error(), Stage: engine.StageAssemble})
		return res
	}
	res.Dir = dir
	return res
}

// Assemble computes a package in memory without writing it.
func Assemble(ctx context.Context, opts Options) Result {
	var res Result
	failAt := func(stage engine.Stage, format string, args ...any) Result {
		res.Errors = append(res.Errors, engine.Message{Text: fmt.Sprintf(format, args...), Stage: stage})
		return res
	}
	fail := func(format string, args ...any) Result { return failAt(engine.StageAssemble, format, args...) }
	ad, err := upstream.LookupAdapter(opts.Adapter)
	if err != nil {
		return fail("%v", err)
	}
	if opts.Source == nil {
		return fail("%s: no upstream source", ad.Name)
	}
	recipe, err := transform.RecipeFor(ad.Name)
	if err != nil {
		return fail("%v", err)
	}
	res.Name = recipe.NewPackage
	// The runtime does not depend on upstream: it compiles (once per
	// process) while the snapshot loads and the recipe runs.
	runtimeJS := compileRuntime(ad.Name)
	snap, err := opts.Source.Load(ctx, ad)
	if err != nil {
		return failAt(engine.StageFetch, "%v", err)
	}
	prov := snap.Provenance
	res.Provenance = prov
	progress(opts.Progress, "transforming %s@%s (%s)", ad.Package, prov.Version, prov.Source)

	tr := engine.Apply(recipe, engine.Input{Adapter: ad.Name, Version: prov.Version, Files: snap.Files})
	if len(tr.Errors) > 0 {
		res.Errors = tr.Errors
		return res
	}
	res.Changes = tr.Changes
	res.Before, res.After = changedFiles(snap.Files, tr.Files, tr.Changes)

	pkg, ok := tr.Files["package.json"]
	if !ok {
		return fail("%s@%s: the snapshot has no package.json", ad.Package, prov.Version)
	}
	if prov.AstroVersion == "" {
		av, err := astroVersionOf(prov, pkg)
		if err != nil {
			return fail("%s@%s: %v", ad.Package, prov.Version, err)
		}
		prov.AstroVersion = av
		res.Provenance = prov
	}
	res.Version = opts.Version
	if res.Version == "" {
		if prov.Commit != "" {
			res.Version, err = versioning.FromCommit(prov.AstroVersion, prov.Commit)
		} else {
			res.Version, err = versioning.FromNpm(prov.AstroVersion, ad.Name, prov.Version)
		}
		if err != nil {
			return fail("%s@%s: version: %v", ad.Package, prov.Version, err)
		}
	} else if _, err := versioning.Parse(res.Version); err != nil {
		return fail("--version of the package: %v", err)
	}

	files := map[string][]byte{}
	srcs := map[string][]byte{}
	var rootTypes []string
	for p, b := range tr.Files {
		switch {
		case strings.HasPrefix(p, "src/") && isCompiled(p):
			srcs[p] = b
		case strings.HasPrefix(p, "dist/"):
			files[p] = b
		case p == "LICENSE" || p == "README.md":
			// rewritten below
		case !strings.Contains(p, "/") && strings.HasSuffix(p, ".d.ts"):
			// Declarations upstream ships beside dist/ (cloudflare 13.x on:
			// types.d.ts, which Astro's generated types reference).
			files[p] = b
			rootTypes = append(rootTypes, p)
		}
	}
	hasSrc := len(srcs) > 0
	js, msgs := compileAll(srcs, false)
	if len(msgs) > 0 {
		res.Errors = msgs
		return res
	}
	for p, b := range js {
		files[jsName(p)] = b
	}
	if hasSrc {
		types := opts.Types
		if types == nil {
			types = npmTypes(opts.NpmCache, opts.Progress)
		}
		ts, err := types(ctx, ad, prov.Version)
		if err != nil {
			return failAt(engine.StageFetch, "%s@%s: type declarations: %v", ad.Package, prov.Version, err)
		}
		n := 0
		for p, b := range ts.Files {
			if strings.HasPrefix(p, "dist/") && strings.HasSuffix(p, ".d.ts") {
				files[p] = b
				n++
			}
		}
		if n == 0 {
			return fail("%s@%s: type declarations: the types source has no dist/*.d.ts", ad.Package, prov.Version)
		}
	}

	// The WebSocket runtime.
	rtJS, msgs, err := runtimeJS()
	if err != nil {
		return failAt(engine.StageCompile, "%v", err)
	}
	for p, b := range rtJS {
		p = strings.TrimPrefix(p, "templates/")
		files["dist/"+strings.TrimSuffix(p, path.Ext(p))+".js"] = b
	}
	if len(msgs) > 0 {
		res.Errors = msgs
		return res
	}
	if msgs := declarations(&res, recipe, files, prov.Version); len(msgs) > 0 {
		res.Errors = msgs
		return res
	}
	dts, err := templates.Types(ad.Name)
	if err != nil {
		return fail("%v", err)
	}
	for p, b := range dts {
		files["dist/"+p] = b
	}

	exports := templates.Exports(ad.Name)
	for _, e := range exports {
		for _, target := range []string{e.Types, e.Default} {
			if _, ok := files[strings.TrimPrefix(target, "./")]; !ok {
				return fail("%s@%s: package export %q names %s, which the package does not contain", ad.Package, prov.Version, e.Path, target)
			}
		}
	}
	pj, err := packageJSON(pkg, pkgInfo{
		Upstream:      ad.Package,
		Name:          recipe.NewPackage,
		Version:       res.Version,
		Prov:          prov,
		Workspace:     snap.Workspace,
		RuntimeDeps:   templates.Dependencies(ad.Name),
		OptionalDeps:  templates.OptionalDependencies(ad.Name),
		OptionalPeers: templates.OptionalPeers(ad.Name),
		ExtraExports:  exports,
		RootFiles:     rootTypes,
	})
	if err != nil {
		return fail("%s@%s: %v", ad.Package, prov.Version, err)
	}
	files["package.json"] = pj
	files["LICENSE"] = license(snap.Files["LICENSE"], ad.Package, pj)
	files["NOTICE.md"] = notice(ad.Package, recipe.NewPackage, res.Version, prov, res.Changes)
	files["README.md"] = readme(ad, recipe.NewPackage, res.Version, prov)
	if !opts.NoVerify {
		for _, p := range verify.Package(ad.Name, files) {
			res.Errors = append(res.Errors, engine.Message{Text: fmt.Sprintf("%s@%s: %s", ad.Package, prov.Version, p), Stage: engine.StageVerify, Step: "verify"})
		}
		if len(res.Errors) > 0 {
			return res
		}
	}
	res.Files = files
	return res
}

// compileRuntime starts compiling an adapter's runtime in the background and
// returns the function that waits for it.
func compileRuntime(adapter string) func() (map[string][]byte, []engine.Message, error) {
	var js map[string][]byte
	var msgs []engine.Message
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		var rt map[string][]byte
		if rt, err = templates.Files(adapter); err != nil {
			return
		}
		srcs := map[string][]byte{}
		for p, b := range rt {
			if isCompiled(p) {
				srcs["templates/"+p] = b
			}
		}
		js, msgs = compileAll(srcs, true)
	}()
	return func() (map[string][]byte, []engine.Message, error) {
		<-done
		return js, msgs, err
	}
}

// declarations applies the recipe's declaration steps to upstream's compiled
// declarations (dist/*.d.ts, the runtime's own left out) and records their
// changes beside the recipe's, for `zastro diff` and NOTICE.md.
func declarations(res *Result, recipe engine.Recipe, files map[string][]byte, version string) []engine.Message {
	in := map[string][]byte{}
	for p, b := range files {
		if strings.HasPrefix(p, "dist/") && strings.HasSuffix(p, ".d.ts") && !strings.HasPrefix(p, "dist/"+templates.OutputDir+"/") {
			in[p] = b
		}
	}
	tr := engine.Apply(transform.DeclarationRecipe(recipe), engine.Input{Adapter: recipe.Adapter, Version: version, Files: in})
	if len(tr.Errors) > 0 {
		return tr.Errors
	}
	for _, c := range tr.Changes {
		res.Before[c.File] = in[c.File]
		res.After[c.File] = tr.Files[c.File]
		files[c.File] = tr.Files[c.File]
	}
	res.Changes = append(res.Changes, tr.Changes...)
	return nil
}

// npmTypes fetches the published tarball of the same adapter version: its
// declarations are upstream's own compiler output for that source.
func npmTypes(cache string, progress io.Writer) func(context.Context, upstream.Adapter, string) (*upstream.Snapshot, error) {
	return func(ctx context.Context, a upstream.Adapter, version string) (*upstream.Snapshot, error) {
		src := &upstream.Npm{Version: version, CacheDir: cache, Progress: progress}
		return src.Load(ctx, a)
	}
}

func changedFiles(before, after map[string][]byte, changes []engine.Change) (map[string][]byte, map[string][]byte) {
	b, a := map[string][]byte{}, map[string][]byte{}
	for _, c := range changes {
		b[c.File] = before[c.File]
		a[c.File] = after[c.File]
	}
	return b, a
}

func progress(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", args...)
	}
}

func sortedBytesKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
