// Package upstream loads the source of an upstream Astro adapter
// (@astrojs/node, @astrojs/cloudflare) at an exact version and returns it as
// a read-only [Snapshot]: the adapter's files plus their [Provenance].
//
// Three sources exist and all return the same Snapshot:
//
//   - [Git] reads the adapter folder from git objects at a tag, branch or
//     commit of a local repository (such as the "astro-upstream" submodule)
//     or of a URL cloned into a cache. It never touches a working tree.
//   - [Npm] downloads the published tarball of an exact version, checks its
//     sha512 integrity and extracts it in memory.
//   - [Dir] reads a local adapter folder.
//
// Example:
//
//	a, err := upstream.LookupAdapter("node")
//	if err != nil {
//		return err
//	}
//	src := &upstream.Git{Repo: "astro-upstream", Ref: "@astrojs/node@9.4.3"}
//	snap, err := src.Load(ctx, a)
//	if err != nil {
//		return err
//	}
//	fmt.Println(snap.Provenance.Version, snap.Provenance.Commit)
//	for _, p := range snap.Paths() {
//		fmt.Println(p, len(snap.Files[p]))
//	}
//
// The package also reads and moves the superproject's submodule
// ([SubmoduleCommit], [SubmoduleStatus], [SubmoduleCheckout], [SubmoduleReset]).
package upstream

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/zastro-dev/zastro/adapters"
)

// Adapter describes one upstream adapter package and where it lives in the
// upstream monorepos.
type Adapter struct {
	// Name is the short name used on the command line: "node" or "cloudflare".
	Name string
	// Package is the npm package name, e.g. "@astrojs/node".
	Package string
	// Dirs are the folders of the adapter inside the upstream git
	// repositories, tried in order: the withastro/astro monorepo layout first
	// ("packages/integrations/<name>"), then the older withastro/adapters
	// layout ("packages/<name>").
	Dirs []string
}

// AdapterNames returns the names of the known adapters ("node", "cloudflare").
func AdapterNames() []string { return adapters.Names() }

// LookupAdapter returns the adapter with the given short name ("node",
// "cloudflare"), from its descriptor (package adapters). The npm package name
// ("@astrojs/node") is accepted too. An unknown name gives an error listing
// the known names.
func LookupAdapter(name string) (Adapter, error) {
	d, err := adapters.Lookup(name)
	if err != nil {
		return Adapter{}, err
	}
	return Adapter{Name: d.Name, Package: d.Package, Dirs: append([]string(nil), d.Dirs...)}, nil
}

// Provenance records where a snapshot came from.
type Provenance struct {
	// Source is "git", "npm" or "dir".
	Source string
	// Adapter is the adapter's short name, e.g. "node".
	Adapter string
	// Package is the adapter's npm package name, e.g. "@astrojs/node".
	Package string
	// Version is the adapter version from its package.json.
	Version string
	// AstroVersion is the Astro version the adapter was built against. For
	// git it is the "version" of packages/astro/package.json at the commit
	// when the repository has that file; otherwise (and for npm and dir) it is
	// the adapter's devDependency "astro" when that is an exact semver, else "".
	AstroVersion string
	// Commit is the full 40-hex commit sha (git only).
	Commit string
	// Ref is the ref the user asked for (git only; "" means HEAD).
	Ref string
	// Integrity is the tarball's "sha512-..." SRI digest (npm only).
	Integrity string
	// Origin is the repository path or URL, the tarball URL, or the folder.
	Origin string
	// Dir is the adapter folder inside the repository (git only).
	Dir string
}

// Snapshot is the file tree of one adapter at one version.
type Snapshot struct {
	// Files maps slash-separated paths relative to the adapter folder
	// ("package.json", "src/index.ts", "dist/index.js", "LICENSE") to their
	// content. It is read-only by convention: stages copy what they change.
	Files map[string][]byte
	// Provenance says where the files came from.
	Provenance Provenance
	// Workspace maps the adapter's "workspace:" dependencies to the versions
	// their packages have in the same monorepo commit (git sources only).
	Workspace map[string]string
}

// Paths returns the paths of the snapshot's files, sorted.
func (s *Snapshot) Paths() []string {
	if s == nil {
		return nil
	}
	paths := make([]string, 0, len(s.Files))
	for p := range s.Files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths
}

// Source loads an adapter snapshot. [Git], [Npm] and [Dir] implement it.
type Source interface {
	// Load returns the files and provenance of adapter a.
	Load(ctx context.Context, a Adapter) (*Snapshot, error)
}

// Limits on what a snapshot may hold, for every source.
const (
	// MaxFileSize is the largest single file accepted (32 MiB).
	MaxFileSize = 32 << 20
	// MaxTotalSize is the largest total size of all files accepted (256 MiB).
	MaxTotalSize = 256 << 20
	// maxEntries bounds the number of entries of a tarball or folder.
	maxEntries = 100000
)

// skipPath reports whether a path (slash-separated, relative to the adapter
// folder) is left out of snapshots: node_modules anywhere, the top-level test
// folder and the top-level CHANGELOG.md. isDir says whether p names a folder.
func skipPath(p string, isDir bool) bool {
	parts := strings.Split(p, "/")
	for _, part := range parts {
		if part == "node_modules" {
			return true
		}
	}
	if len(parts) == 1 {
		if isDir && parts[0] == "test" {
			return true
		}
		if !isDir && parts[0] == "CHANGELOG.md" {
			return true
		}
	}
	if len(parts) > 1 && parts[0] == "test" {
		return true
	}
	return false
}

// filterFiles removes skipped paths from files in place.
func filterFiles(files map[string][]byte) {
	for p := range files {
		if skipPath(p, false) {
			delete(files, p)
		}
	}
}

// hasLicense reports whether files holds a top-level license file.
func hasLicense(files map[string][]byte) bool {
	for p := range files {
		if isLicenseName(p) {
			return true
		}
	}
	return false
}

// isLicenseName reports whether a top-level name is a license file
// (LICENSE, LICENSE.md, licence.txt, ...).
func isLicenseName(name string) bool {
	if strings.Contains(name, "/") {
		return false
	}
	u := strings.ToUpper(name)
	return strings.HasPrefix(u, "LICENSE") || strings.HasPrefix(u, "LICENCE")
}

// packageJSON is the part of package.json that upstream reads.
type packageJSON struct {
	Name            string            `json:"name"`
	Version         string            `json:"version"`
	DevDependencies map[string]string `json:"devDependencies"`
}

// readPackageJSON parses files["package.json"] and checks that it names
// adapter a and has a semver version.
func readPackageJSON(files map[string][]byte, a Adapter) (packageJSON, error) {
	var pj packageJSON
	data, ok := files["package.json"]
	if !ok {
		return pj, fmt.Errorf("no package.json in the adapter folder")
	}
	if err := json.Unmarshal(data, &pj); err != nil {
		return pj, fmt.Errorf("package.json: %w", err)
	}
	if pj.Name != a.Package {
		return pj, fmt.Errorf("package.json names %q, want %q (wrong folder or wrong repository?)", pj.Name, a.Package)
	}
	if pj.Version == "" {
		return pj, fmt.Errorf("package.json of %s has no version", a.Package)
	}
	if _, err := semver.NewVersion(pj.Version); err != nil {
		return pj, fmt.Errorf("package.json of %s: version %q is not semver: %w", a.Package, pj.Version, err)
	}
	return pj, nil
}

// exactAstro returns the devDependency "astro" when it is an exact semver
// version ("5.13.2"), else "".
func exactAstro(pj packageJSON) string {
	v := strings.TrimSpace(pj.DevDependencies["astro"])
	if v == "" {
		return ""
	}
	if _, err := semver.StrictNewVersion(v); err != nil {
		return ""
	}
	return v
}

// validPath reports whether p is a clean, relative, slash-separated path that
// cannot escape the folder it is relative to.
func validPath(p string) bool {
	if !fs.ValidPath(p) || p == "." {
		return false
	}
	if strings.Contains(p, "\\") || strings.ContainsRune(p, 0) {
		return false
	}
	return true
}

// checkConflicts reports an error when a file path is also used as a folder
// (a file "a" and a file "a/b"): such a tree cannot be written to disk.
func checkConflicts(files map[string][]byte) error {
	for p := range files {
		for i := 0; i < len(p); i++ {
			if p[i] == '/' {
				if _, ok := files[p[:i]]; ok {
					return fmt.Errorf("%q is both a file and a folder (%q)", p[:i], p)
				}
			}
		}
	}
	return nil
}

// nearestVersions returns up to n of the given versions that are nearest to
// target in semver order, sorted ascending. Strings that are not semver are
// ignored. If target is not semver the n highest versions are returned.
func nearestVersions(target string, versions []string, n int) []string {
	type pv struct {
		s string
		v *semver.Version
	}
	var all []pv
	seen := map[string]bool{}
	for _, s := range versions {
		if seen[s] {
			continue
		}
		seen[s] = true
		v, err := semver.NewVersion(s)
		if err != nil {
			continue
		}
		all = append(all, pv{s, v})
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].v.LessThan(all[j].v) })
	if len(all) <= n {
		out := make([]string, len(all))
		for i, x := range all {
			out[i] = x.s
		}
		return out
	}
	start := len(all) - n
	if tv, err := semver.NewVersion(target); err == nil {
		i := sort.Search(len(all), func(i int) bool { return !all[i].v.LessThan(tv) })
		start = i - (n+1)/2
		if start < 0 {
			start = 0
		}
		if start+n > len(all) {
			start = len(all) - n
		}
	}
	out := make([]string, 0, n)
	for _, x := range all[start : start+n] {
		out = append(out, x.s)
	}
	return out
}

// progressf writes one progress line to w when w is not nil.
func progressf(w io.Writer, format string, args ...any) {
	if w == nil {
		return
	}
	fmt.Fprintf(w, format+"\n", args...)
}
