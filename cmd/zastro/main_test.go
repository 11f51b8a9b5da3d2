package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

var sig = &object.Signature{Name: "Test", Email: "test@example.com", When: time.Unix(1700000000, 0).UTC()}

// zastro runs the CLI in process.
func zastro(t *testing.T, dir string, environ map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	getenv := func(k string) string { return environ[k] }
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code = run(ctx, &env{stdout: &o, stderr: &e, dir: dir, getenv: getenv}, args)
	return code, o.String(), e.String()
}

// closedRegistry is an address where nothing listens.
func closedRegistry(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr + "/"
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	cases := [][]string{
		{},
		{"frobnicate"},
		{"build", "--from", "svn"},
		{"build", "node", "--from", "git", "--version", "1.0.0"},
		{"build", "nosuch"},
		{"build", "node", "node"},
		{"build", "--bogus-flag"},
		{"upstream"},
		{"upstream", "checkout"},
		{"sync-version", "extra"},
		{"verify", "nosuch"},
	}
	for _, args := range cases {
		code, _, stderr := zastro(t, dir, nil, args...)
		if code != 2 {
			t.Errorf("zastro %v: exit %d, want 2 (stderr %q)", args, code, stderr)
		}
		if stderr == "" {
			t.Errorf("zastro %v: nothing on stderr", args)
		}
	}
}

func TestHelp(t *testing.T) {
	for _, c := range []string{"build", "diff", "pack", "verify", "sweep", "sync-version", "upstream"} {
		code, _, stderr := zastro(t, t.TempDir(), nil, c, "--help")
		if code != 0 || !strings.Contains(stderr, "Usage: zastro "+c) {
			t.Errorf("%s --help: exit %d, stderr %q", c, code, stderr)
		}
	}
}

// Without a submodule, build falls back to npm at the default version and
// says so; an unreachable registry is a clear failure (exit 1) and nothing is
// written.
func TestBuildDefaultsToNpmAndReportsUnreachableRegistry(t *testing.T) {
	dir := t.TempDir()
	reg := closedRegistry(t)
	code, _, stderr := zastro(t, dir, map[string]string{"npm_config_registry": reg, "ZASTRO_CACHE": t.TempDir()}, "build", "node")
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr)
	}
	for _, want := range []string{"building node from npm at " + defaultVersions["node"], "cannot reach", strings.TrimSuffix(reg, "/")} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "packages")); !os.IsNotExist(err) {
		t.Errorf("packages/ written after a failed build: %v", err)
	}
}

// fixtureSources are the hand-written TypeScript files shaped like
// @astrojs/node 11.x's src/ (shared with the transform tests).
func fixtureSources(t *testing.T) map[string]string {
	t.Helper()
	root := filepath.Join("..", "..", "transform", "testdata", "node-11")
	files := map[string]string{}
	err := filepath.WalkDir(filepath.Join(root, "src"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".golden") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		files[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 4 {
		t.Fatalf("fixture %s has %d source files", root, len(files))
	}
	return files
}

// monorepo writes and commits a repository shaped like withastro/astro.
func monorepo(t *testing.T, astroVersion, nodeVersion string) (string, *git.Repository, plumbing.Hash) {
	t.Helper()
	dir := t.TempDir()
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"LICENSE":                                 "MIT License\n\nCopyright (c) the fixture authors\n",
		"package.json":                            `{"name":"root","private":true}`,
		"packages/astro/package.json":             `{"name":"astro","version":"` + astroVersion + `"}`,
		"packages/internal-helpers/package.json":  `{"name":"@astrojs/internal-helpers","version":"0.11.0"}`,
		"packages/integrations/node/package.json": `{"name":"@astrojs/node","description":"Deploy your site to a Node.js server","version":"` + nodeVersion + `","type":"module","exports":{".":"./dist/index.js","./server.js":"./dist/server.js","./preview.js":"./dist/preview.js","./package.json":"./package.json"},"files":["dist"],"scripts":{"build":"astro-scripts build"},"dependencies":{"send":"^1.2.1","@astrojs/internal-helpers":"workspace:*"},"peerDependencies":{"astro":"^7.0.0"},"devDependencies":{"astro":"workspace:*"}}`,
	}
	for p, c := range fixtureSources(t) {
		files["packages/integrations/node/"+p] = c
	}
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h := commit(t, repo, "release")
	if _, err := repo.CreateTag("@astrojs/node@"+nodeVersion, h, &git.CreateTagOptions{Tagger: sig, Message: "release"}); err != nil {
		t.Fatal(err)
	}
	return dir, repo, h
}

func commit(t *testing.T, repo *git.Repository, msg string) plumbing.Hash {
	t.Helper()
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		t.Fatal(err)
	}
	h, err := wt.Commit(msg, &git.CommitOptions{Author: sig, Committer: sig})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// typesRegistry serves one version of @astrojs/node whose tarball holds
// declaration files: where git builds take their types from.
func typesRegistry(t *testing.T, version string) string {
	t.Helper()
	files := map[string]string{
		"package/package.json":     `{"name":"@astrojs/node","version":"` + version + `"}`,
		"package/dist/index.d.ts":  "import type { AstroIntegration } from 'astro';\nexport default function createIntegration(userOptions: { mode: 'standalone' | 'middleware' }): AstroIntegration;\n",
		"package/dist/server.d.ts": "export declare const handler: (...args: unknown[]) => unknown;\n",
	}
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, name := range []string{"package/package.json", "package/dist/index.d.ts", "package/dist/server.d.ts"} {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(files[name])), Typeflag: tar.TypeReg})
		tw.Write([]byte(files[name]))
	}
	tw.Close()
	gz.Close()
	tgz := buf.Bytes()
	sum := sha512.Sum512(tgz)
	integrity := "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, ".tgz"):
			w.Write(tgz)
		case strings.Contains(r.URL.EscapedPath(), "node"):
			json.NewEncoder(w).Encode(map[string]any{
				"name":     "@astrojs/node",
				"versions": map[string]any{version: map[string]any{"version": version, "dist": map[string]string{"tarball": srv.URL + "/node.tgz", "integrity": integrity}}},
			})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/"
}

// A git build from a repository shaped like the astro monorepo: provenance,
// version, workspace dependencies, compiled sources, determinism.
func TestBuildFromGit(t *testing.T) {
	repoDir, _, head := monorepo(t, "7.2.4", "11.1.4")
	environ := map[string]string{"npm_config_registry": typesRegistry(t, "11.1.4"), "ZASTRO_CACHE": t.TempDir()}
	work := t.TempDir()
	args := []string{"build", "node", "--from", "git", "--repo", repoDir, "--ref", "@astrojs/node@11.1.4", "--json"}
	code, stdout, stderr := zastro(t, work, environ, args...)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var reports []buildReport
	if err := json.Unmarshal([]byte(stdout), &reports); err != nil {
		t.Fatalf("--json output: %v\n%s", err, stdout)
	}
	r := reports[0]
	wantVersion := "7.2.4-" + head.String()[:7]
	if r.Version != wantVersion || r.Provenance.Commit != head.String() || r.Provenance.AstroVersion != "7.2.4" || r.Provenance.Source != "git" {
		t.Errorf("report %+v, want version %s at %s", r, wantVersion, head)
	}
	pkgDir := filepath.Join(work, "packages", "node")
	// The build names the command that installs what it wrote: a folder
	// needs --install-links, or npm links it without its dependencies.
	wantInstall := "npm install --install-links " + pkgDir
	if r.Install != wantInstall {
		t.Errorf("--json install = %q, want %q", r.Install, wantInstall)
	}
	if !strings.Contains(stderr, "install it in your project with: "+wantInstall+"\n") {
		t.Errorf("stderr does not print the install command %q:\n%s", wantInstall, stderr)
	}
	var pj struct {
		Name, Version   string
		Dependencies    map[string]string
		DevDependencies map[string]string
		Scripts         map[string]string
		Zastro          map[string]string
	}
	b, err := os.ReadFile(filepath.Join(pkgDir, "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &pj); err != nil {
		t.Fatal(err)
	}
	if pj.Name != "zastro-websockets-node" || pj.Version != wantVersion || pj.Dependencies["@astrojs/internal-helpers"] != "0.11.0" || pj.Dependencies["ws"] == "" || pj.Scripts != nil || pj.DevDependencies != nil || pj.Zastro["commit"] != head.String() {
		t.Errorf("package.json: %+v", pj)
	}
	for _, f := range []string{"dist/index.js", "dist/server.js", "dist/serve-app.js", "dist/index.d.ts", "dist/zastro/node/index.js", "LICENSE", "NOTICE.md"} {
		if _, err := os.Stat(filepath.Join(pkgDir, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	idx, _ := os.ReadFile(filepath.Join(pkgDir, "dist/index.js"))
	if !strings.Contains(string(idx), `"zastro-websockets-node/server.js"`) && !strings.Contains(string(idx), `'zastro-websockets-node/server.js'`) {
		t.Errorf("dist/index.js does not name the new server entrypoint:\n%s", idx)
	}

	// The declaration files' edits are recipe changes like the others: the
	// notice and `zastro diff` list them.
	notice, _ := os.ReadFile(filepath.Join(pkgDir, "NOTICE.md"))
	for _, step := range []string{"node/types-runtime-reference", "node/types-upgrade-handler"} {
		if !strings.Contains(string(notice), "`"+step+"`") {
			t.Errorf("NOTICE.md does not list %s:\n%s", step, notice)
		}
	}
	code, diff, stderr := zastro(t, work, environ, "diff", "node", "--from", "git", "--repo", repoDir, "--ref", "@astrojs/node@11.1.4")
	if code != 0 {
		t.Fatalf("diff: exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"+++ b/dist/index.d.ts", "+++ b/dist/server.d.ts", "zastro:node/types-runtime-reference", "zastro:node/types-upgrade-handler"} {
		if !strings.Contains(diff, want) {
			t.Errorf("zastro diff does not show %q:\n%s", want, diff)
		}
	}

	// Determinism: a second build gives the same bytes; so do two packs.
	first := hashTree(t, pkgDir)
	if code, _, stderr := zastro(t, work, environ, args...); code != 0 {
		t.Fatalf("second build: %s", stderr)
	}
	if second := hashTree(t, pkgDir); second != first {
		t.Error("two builds of the same commit differ")
	}
	var sums []string
	for i := 0; i < 2; i++ {
		dest := t.TempDir()
		code, stdout, stderr := zastro(t, work, environ, "pack", "node", "--dest", dest)
		if code != 0 {
			t.Fatalf("pack: %s", stderr)
		}
		b, err := os.ReadFile(strings.TrimSpace(stdout))
		if err != nil {
			t.Fatal(err)
		}
		sums = append(sums, sha(b))
	}
	if sums[0] != sums[1] {
		t.Error("two packs differ")
	}
}

func TestBuildUnknownTagWritesNothing(t *testing.T) {
	repoDir, _, _ := monorepo(t, "7.2.4", "11.1.4")
	work := t.TempDir()
	code, _, stderr := zastro(t, work, map[string]string{"ZASTRO_CACHE": t.TempDir()}, "build", "node", "--from", "git", "--repo", repoDir, "--ref", "@astrojs/node@99.0.0")
	if code != 1 || !strings.Contains(stderr, "@astrojs/node@99.0.0") || !strings.Contains(stderr, "unknown ref") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(work, "packages")); !os.IsNotExist(err) {
		t.Error("output written for an unknown tag")
	}
}

// A recipe that no longer fits: the error names file, line and step, and the
// previous output stays as it was.
func TestBuildChangedUpstreamKeepsPreviousOutput(t *testing.T) {
	repoDir, repo, _ := monorepo(t, "7.2.4", "11.1.4")
	environ := map[string]string{"npm_config_registry": typesRegistry(t, "11.1.4"), "ZASTRO_CACHE": t.TempDir()}
	work := t.TempDir()
	if code, _, stderr := zastro(t, work, environ, "build", "node", "--repo", repoDir, "--ref", "@astrojs/node@11.1.4"); code != 0 {
		t.Fatal(stderr)
	}
	before := hashTree(t, filepath.Join(work, "packages", "node"))

	// Upstream renames serverEntrypoint.
	idx := filepath.Join(repoDir, "packages/integrations/node/src/index.ts")
	src, _ := os.ReadFile(idx)
	changed := strings.Replace(string(src), "serverEntrypoint:", "serverEntry:", 1)
	if changed == string(src) {
		t.Fatal("fixture has no serverEntrypoint")
	}
	os.WriteFile(idx, []byte(changed), 0o644)
	commit(t, repo, "rename")
	code, _, stderr := zastro(t, work, environ, "build", "node", "--repo", repoDir, "--ref", "HEAD")
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	for _, want := range []string{"src/index.ts:", "node/identity-server-entrypoint", "expected 1, found 0", "nothing written"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if after := hashTree(t, filepath.Join(work, "packages", "node")); after != before {
		t.Error("a failed build changed the previous output")
	}
}

// sync-version follows the commit the superproject records for the submodule.
func TestSyncVersionFollowsSubmodule(t *testing.T) {
	upDir, upRepo, c1 := monorepo(t, "7.2.4", "11.1.4")
	os.WriteFile(filepath.Join(upDir, "packages/astro/package.json"), []byte(`{"name":"astro","version":"7.3.0"}`), 0o644)
	c2 := commit(t, upRepo, "astro 7.3.0")

	super := t.TempDir()
	srepo, err := git.PlainInit(super, false)
	if err != nil {
		t.Fatal(err)
	}
	// The submodule's checkout: a clone of the upstream.
	if _, err := git.PlainClone(filepath.Join(super, submodulePath), false, &git.CloneOptions{URL: upDir}); err != nil {
		t.Fatal(err)
	}
	record := func(c plumbing.Hash) {
		os.WriteFile(filepath.Join(super, ".gitmodules"), []byte("[submodule \"astro-upstream\"]\n\tpath = astro-upstream\n\turl = "+upDir+"\n"), 0o644)
		blob := srepo.Storer.NewEncodedObject()
		blob.SetType(plumbing.BlobObject)
		w, _ := blob.Writer()
		w.Write([]byte("[submodule \"astro-upstream\"]\n\tpath = astro-upstream\n\turl = " + upDir + "\n"))
		w.Close()
		bh, err := srepo.Storer.SetEncodedObject(blob)
		if err != nil {
			t.Fatal(err)
		}
		tree := &object.Tree{Entries: []object.TreeEntry{
			{Name: ".gitmodules", Mode: filemode.Regular, Hash: bh},
			{Name: submodulePath, Mode: filemode.Submodule, Hash: c},
		}}
		to := srepo.Storer.NewEncodedObject()
		if err := tree.Encode(to); err != nil {
			t.Fatal(err)
		}
		th, err := srepo.Storer.SetEncodedObject(to)
		if err != nil {
			t.Fatal(err)
		}
		cm := &object.Commit{Author: *sig, Committer: *sig, Message: "record " + c.String(), TreeHash: th}
		if head, err := srepo.Head(); err == nil {
			cm.ParentHashes = []plumbing.Hash{head.Hash()}
		}
		co := srepo.Storer.NewEncodedObject()
		if err := cm.Encode(co); err != nil {
			t.Fatal(err)
		}
		ch, err := srepo.Storer.SetEncodedObject(co)
		if err != nil {
			t.Fatal(err)
		}
		if err := srepo.Storer.SetReference(plumbing.NewHashReference(plumbing.NewBranchReferenceName("master"), ch)); err != nil {
			t.Fatal(err)
		}
	}

	for _, step := range []struct {
		commit plumbing.Hash
		astro  string
	}{{c1, "7.2.4"}, {c2, "7.3.0"}} {
		record(step.commit)
		code, stdout, stderr := zastro(t, super, nil, "sync-version")
		if code != 0 {
			t.Fatalf("sync-version: %s", stderr)
		}
		want := step.astro + "-" + step.commit.String()[:7]
		if strings.TrimSpace(stdout) != want {
			t.Errorf("sync-version printed %q, want %q", stdout, want)
		}
		b, _ := os.ReadFile(filepath.Join(super, versionFile))
		if strings.TrimSpace(string(b)) != want {
			t.Errorf("VERSION holds %q, want %q", b, want)
		}
	}
}

func hashTree(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		h.Write([]byte(rel + "\x00"))
		h.Write(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(h.Sum(nil))
}

func sha(b []byte) string { s := sha256.Sum256(b); return string(s[:]) }

func TestInstallCommandQuotesFolders(t *testing.T) {
	for dir, want := range map[string]string{
		"/home/me/zastro/packages/node":  "npm install --install-links /home/me/zastro/packages/node",
		"/home/me/my work/packages/node": "npm install --install-links '/home/me/my work/packages/node'",
		"/tmp/it's/node":                 `npm install --install-links '/tmp/it'\''s/node'`,
	} {
		if got := installCommand(dir); got != want {
			t.Errorf("installCommand(%q) = %s, want %s", dir, got, want)
		}
	}
}
