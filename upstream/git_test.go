package upstream

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

func mustAdapter(t *testing.T, name string) Adapter {
	t.Helper()
	a, err := LookupAdapter(name)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestLookupAdapter(t *testing.T) {
	tests := []struct {
		name, wantPkg, wantErr string
		wantDirs               []string
	}{
		{name: "node", wantPkg: "@astrojs/node", wantDirs: []string{"packages/integrations/node", "packages/node"}},
		{name: "cloudflare", wantPkg: "@astrojs/cloudflare", wantDirs: []string{"packages/integrations/cloudflare", "packages/cloudflare"}},
		{name: "@astrojs/node", wantPkg: "@astrojs/node", wantDirs: []string{"packages/integrations/node", "packages/node"}},
		{name: "deno", wantErr: `unknown adapter "deno": known adapters are node, cloudflare`},
		{name: "", wantErr: "known adapters are node, cloudflare"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := LookupAdapter(tt.name)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if a.Package != tt.wantPkg || !reflect.DeepEqual(a.Dirs, tt.wantDirs) {
				t.Fatalf("got %+v", a)
			}
			// The table must not be writable through the result.
			a.Dirs[0] = "x"
			if b, _ := LookupAdapter(tt.name); b.Dirs[0] == "x" {
				t.Fatal("LookupAdapter shares its Dirs slice")
			}
		})
	}
}

func TestSnapshotPaths(t *testing.T) {
	s := &Snapshot{Files: map[string][]byte{"src/b.ts": nil, "package.json": nil, "LICENSE": nil, "src/a.ts": nil}}
	want := []string{"LICENSE", "package.json", "src/a.ts", "src/b.ts"}
	if got := s.Paths(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Paths() = %v, want %v", got, want)
	}
	var nilSnap *Snapshot
	if got := nilSnap.Paths(); got != nil {
		t.Fatalf("nil Paths() = %v", got)
	}
}

func TestGitLoadMonorepo(t *testing.T) {
	m := newMonorepo(t)
	node := mustAdapter(t, "node")
	c1, c2 := m.c1.String(), m.c2.String()
	wantFiles := []string{"LICENSE", "README.md", "package.json", "src/index.ts", "src/server.ts", "src/types.d.ts", "tsconfig.json"}

	tests := []struct {
		ref                    string
		commit, version, astro string
		index                  string
	}{
		{"@astrojs/node@9.4.3", c1, "9.4.3", "5.13.2", m.indexV1},
		{"refs/tags/@astrojs/node@9.4.3", c1, "9.4.3", "5.13.2", m.indexV1},
		{"light-9.4.3", c1, "9.4.3", "5.13.2", m.indexV1},
		{"release-9.4", c1, "9.4.3", "5.13.2", m.indexV1},
		{"@astrojs/node@9.5.0", c2, "9.5.0", "5.14.0", m.indexV2},
		{"master", c2, "9.5.0", "5.14.0", m.indexV2},
		{"", c2, "9.5.0", "5.14.0", m.indexV2},
		{"HEAD", c2, "9.5.0", "5.14.0", m.indexV2},
		{c1, c1, "9.4.3", "5.13.2", m.indexV1},
		{c1[:7], c1, "9.4.3", "5.13.2", m.indexV1},
		{c1[:4], c1, "9.4.3", "5.13.2", m.indexV1},
		{strings.ToUpper(c2[:9]), c2, "9.5.0", "5.14.0", m.indexV2},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("ref=%q", tt.ref), func(t *testing.T) {
			if len(tt.ref) == 4 && m.c2.String()[:4] == tt.ref {
				t.Skip("the two commits share a 4-digit prefix")
			}
			snap, err := (&Git{Repo: m.dir, Ref: tt.ref}).Load(context.Background(), node)
			if err != nil {
				t.Fatal(err)
			}
			if got := snap.Paths(); !reflect.DeepEqual(got, wantFiles) {
				t.Errorf("paths = %v, want %v", got, wantFiles)
			}
			if got := string(snap.Files["src/index.ts"]); got != tt.index {
				t.Errorf("src/index.ts = %q, want %q", got, tt.index)
			}
			if got := string(snap.Files["LICENSE"]); got != m.license {
				t.Errorf("LICENSE = %q, want the root license", got)
			}
			abs, _ := filepath.Abs(m.dir)
			want := Provenance{
				Source: "git", Adapter: "node", Package: "@astrojs/node",
				Version: tt.version, AstroVersion: tt.astro,
				Commit: tt.commit, Ref: tt.ref, Origin: abs, Dir: nodeDir,
			}
			if snap.Provenance != want {
				t.Errorf("provenance = %+v\nwant %+v", snap.Provenance, want)
			}
		})
	}
}

func TestGitLoadAdapterLicenseWins(t *testing.T) {
	m := newMonorepo(t)
	snap, err := (&Git{Repo: m.dir, Ref: "@astrojs/cloudflare@12.6.0"}).Load(context.Background(), mustAdapter(t, "cloudflare"))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(snap.Files["LICENSE"]); got != "cloudflare license\n" {
		t.Fatalf("LICENSE = %q, want the adapter's own", got)
	}
	if snap.Provenance.Version != "12.6.0" || snap.Provenance.Dir != "packages/integrations/cloudflare" || snap.Provenance.AstroVersion != "5.14.0" {
		t.Fatalf("provenance = %+v", snap.Provenance)
	}
}

func TestGitLoadErrors(t *testing.T) {
	m := newMonorepo(t)
	node := mustAdapter(t, "node")
	tests := []struct {
		name, ref string
		want      []string
	}{
		{"unknown tag", "@astrojs/node@9.9.9", []string{`unknown ref "@astrojs/node@9.9.9"`, m.dir, "@astrojs/node@9.5.0", "@astrojs/node@9.4.3", "tag --list"}},
		{"bare version suggests tags", "9.4.3", []string{`unknown ref "9.4.3"`, "@astrojs/node@9.4.2, @astrojs/node@9.4.3, @astrojs/node@9.5.0"}},
		{"garbage", "no-such-branch", []string{`unknown ref "no-such-branch"`}},
		{"short hex", "abc", []string{`unknown ref "abc"`}},
		{"unknown sha", "0000000000000000000000000000000000000001", []string{"unknown ref"}},
		{"unknown prefix", "ffffffffff", []string{"unknown ref"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if strings.HasPrefix(m.c1.String(), tt.ref) || strings.HasPrefix(m.c2.String(), tt.ref) {
				t.Skip("prefix happens to match")
			}
			_, err := (&Git{Repo: m.dir, Ref: tt.ref}).Load(context.Background(), node)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}

	t.Run("no repo", func(t *testing.T) {
		_, err := (&Git{Repo: filepath.Join(t.TempDir(), "missing")}).Load(context.Background(), node)
		if err == nil || !strings.Contains(err.Error(), "missing") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("empty folder", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "astro-upstream")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		_, err := (&Git{Repo: dir}).Load(context.Background(), node)
		if err == nil || !strings.Contains(err.Error(), "uninitialised submodule") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("url without cache", func(t *testing.T) {
		_, err := (&Git{Repo: "https://example.invalid/astro.git"}).Load(context.Background(), node)
		if err == nil || !strings.Contains(err.Error(), "CacheDir") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestGitResolveAmbiguousPrefix(t *testing.T) {
	repo, err := git.PlainInit(t.TempDir(), true)
	if err != nil {
		t.Fatal(err)
	}
	emptyTree := repo.Storer.NewEncodedObject()
	if err := (&object.Tree{}).Encode(emptyTree); err != nil {
		t.Fatal(err)
	}
	treeHash, err := repo.Storer.SetEncodedObject(emptyTree)
	if err != nil {
		t.Fatal(err)
	}
	// Find two commits whose shas share the first 4 hex digits.
	seen := map[string]plumbing.EncodedObject{}
	var a, b plumbing.EncodedObject
	for i := 0; i < 200000 && a == nil; i++ {
		c := &object.Commit{Author: *testSig, Committer: *testSig, Message: fmt.Sprintf("c%d", i), TreeHash: treeHash}
		obj := repo.Storer.NewEncodedObject()
		if err := c.Encode(obj); err != nil {
			t.Fatal(err)
		}
		key := obj.Hash().String()[:4]
		if prev, ok := seen[key]; ok {
			a, b = prev, obj
			break
		}
		seen[key] = obj
	}
	if a == nil {
		t.Fatal("no collision found")
	}
	for _, o := range []plumbing.EncodedObject{a, b} {
		if _, err := repo.Storer.SetEncodedObject(o); err != nil {
			t.Fatal(err)
		}
	}
	prefix := a.Hash().String()[:4]
	_, _, err = resolveRef(repo, prefix, false)
	if err == nil || !strings.Contains(err.Error(), "ambiguous") || !strings.Contains(err.Error(), a.Hash().String()) || !strings.Contains(err.Error(), b.Hash().String()) {
		t.Fatalf("err = %v, want ambiguity naming both commits", err)
	}
	// A longer prefix picks one.
	n := 5
	for a.Hash().String()[:n] == b.Hash().String()[:n] {
		n++
	}
	h, _, err := resolveRef(repo, a.Hash().String()[:n], false)
	if err != nil || h != a.Hash() {
		t.Fatalf("resolve %s = %s, %v", a.Hash().String()[:n], h, err)
	}
	// A prefix of a tree is not a commit.
	_, _, err = resolveRef(repo, treeHash.String(), false)
	if err == nil || !strings.Contains(err.Error(), "not a commit") {
		t.Fatalf("tree sha: err = %v", err)
	}
}

func TestGitLoadAdaptersRepo(t *testing.T) {
	dir := t.TempDir()
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, dir, map[string]string{
		"LICENSE":                          "root license\n",
		"packages/node/package.json":       `{"name":"@astrojs/node","version":"8.3.4","devDependencies":{"astro":"4.16.0"}}`,
		"packages/node/src/index.ts":       "export {};\n",
		"packages/node/LICENSE":            "node license\n",
		"packages/cloudflare/package.json": `{"name":"@astrojs/netlify","version":"1.0.0"}`,
	})
	c := commitAll(t, repo, "adapters")
	annotatedTag(t, repo, "@astrojs/node@8.3.4", c)

	snap, err := (&Git{Repo: dir, Ref: "@astrojs/node@8.3.4"}).Load(context.Background(), mustAdapter(t, "node"))
	if err != nil {
		t.Fatal(err)
	}
	if got := snap.Paths(); !reflect.DeepEqual(got, []string{"LICENSE", "package.json", "src/index.ts"}) {
		t.Fatalf("paths = %v", got)
	}
	if string(snap.Files["LICENSE"]) != "node license\n" {
		t.Fatalf("LICENSE = %q", snap.Files["LICENSE"])
	}
	p := snap.Provenance
	if p.Dir != "packages/node" || p.Version != "8.3.4" || p.AstroVersion != "4.16.0" || p.Commit != c.String() {
		t.Fatalf("provenance = %+v", p)
	}

	// A folder whose package.json names another package is refused.
	_, err = (&Git{Repo: dir}).Load(context.Background(), mustAdapter(t, "cloudflare"))
	if err == nil || !strings.Contains(err.Error(), `"@astrojs/netlify"`) || !strings.Contains(err.Error(), "@astrojs/cloudflare") {
		t.Fatalf("wrong name: err = %v", err)
	}
	// No adapter folder at all.
	a := Adapter{Name: "deno", Package: "@astrojs/deno", Dirs: []string{"packages/integrations/deno", "packages/deno"}}
	_, err = (&Git{Repo: dir}).Load(context.Background(), a)
	if err == nil || !strings.Contains(err.Error(), "packages/integrations/deno, packages/deno") {
		t.Fatalf("missing folder: err = %v", err)
	}
}

func TestGitLoadIgnoresWorktree(t *testing.T) {
	m := newMonorepo(t)
	dirty := "// local edit\n"
	writeFiles(t, m.dir, map[string]string{
		nodeDir + "/src/index.ts":     dirty,
		nodeDir + "/src/untracked.ts": "untracked\n",
		nodeDir + "/package.json":     "<delete>",
	})
	snap, err := (&Git{Repo: m.dir}).Load(context.Background(), mustAdapter(t, "node"))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(snap.Files["src/index.ts"]); got != m.indexV2 {
		t.Fatalf("src/index.ts = %q, want the committed content", got)
	}
	if _, ok := snap.Files["src/untracked.ts"]; ok {
		t.Fatal("untracked worktree file in snapshot")
	}
	if _, ok := snap.Files["package.json"]; !ok {
		t.Fatal("package.json deleted in the worktree is missing from the snapshot")
	}
	data, err := os.ReadFile(filepath.Join(m.dir, nodeDir, "src/index.ts"))
	if err != nil || string(data) != dirty {
		t.Fatalf("worktree file changed: %q, %v", data, err)
	}
	if _, err := os.Stat(filepath.Join(m.dir, nodeDir, "package.json")); !os.IsNotExist(err) {
		t.Fatalf("deleted worktree file restored: %v", err)
	}
	// HEAD and the branch did not move.
	head, err := m.repo.Head()
	if err != nil || head.Hash() != m.c2 || head.Name() != plumbing.NewBranchReferenceName("master") {
		t.Fatalf("HEAD = %v, %v", head, err)
	}
}

func TestGitLoadFromSubfolderAndBare(t *testing.T) {
	m := newMonorepo(t)
	node := mustAdapter(t, "node")
	// A folder inside the checkout finds the repository above it.
	snap, err := (&Git{Repo: filepath.Join(m.dir, "packages"), Ref: "@astrojs/node@9.4.3"}).Load(context.Background(), node)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Provenance.Commit != m.c1.String() {
		t.Fatalf("commit = %s", snap.Provenance.Commit)
	}
	// The .git folder itself opens as a bare repository.
	snap, err = (&Git{Repo: filepath.Join(m.dir, ".git"), Ref: "release-9.4"}).Load(context.Background(), node)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Provenance.Commit != m.c1.String() {
		t.Fatalf("commit = %s", snap.Provenance.Commit)
	}
}

func TestGitCloneURL(t *testing.T) {
	m := newMonorepo(t)
	node := mustAdapter(t, "node")
	cache := t.TempDir()
	url := "testgit://" + filepath.ToSlash(filepath.Join(m.dir, ".git"))
	ctx := context.Background()

	var progress strings.Builder
	snap, err := (&Git{Repo: url, CacheDir: cache, Ref: "@astrojs/node@9.4.3", Progress: &progress}).Load(ctx, node)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(progress.String(), "cloning "+url) {
		t.Errorf("progress = %q", progress.String())
	}
	if snap.Provenance.Commit != m.c1.String() || snap.Provenance.Origin != url || snap.Provenance.Version != "9.4.3" {
		t.Fatalf("provenance = %+v", snap.Provenance)
	}
	entries, _ := os.ReadDir(cache)
	if len(entries) != 1 {
		t.Fatalf("cache holds %d entries, want 1 clone", len(entries))
	}
	clone := filepath.Join(cache, entries[0].Name())

	// Branch by name (remote-tracking in the clone) and HEAD.
	for _, ref := range []string{"master", "release-9.4", ""} {
		snap, err := (&Git{Repo: url, CacheDir: cache, Ref: ref}).Load(ctx, node)
		if err != nil {
			t.Fatalf("ref %q: %v", ref, err)
		}
		want := m.c2
		if ref == "release-9.4" {
			want = m.c1
		}
		if snap.Provenance.Commit != want.String() {
			t.Fatalf("ref %q: commit %s, want %s", ref, snap.Provenance.Commit, want)
		}
	}

	// A new release upstream: the cached clone is fetched for the new tag
	// and for the moved branch.
	writeFiles(t, m.dir, map[string]string{nodeDir + "/package.json": `{"name":"@astrojs/node","version":"9.6.0"}`})
	c3 := commitAll(t, m.repo, "node 9.6.0")
	annotatedTag(t, m.repo, "@astrojs/node@9.6.0", c3)
	for _, ref := range []string{"@astrojs/node@9.6.0", "master", ""} {
		progress.Reset()
		snap, err = (&Git{Repo: url, CacheDir: cache, Ref: ref, Progress: &progress}).Load(ctx, node)
		if err != nil {
			t.Fatalf("ref %q: %v", ref, err)
		}
		if !strings.Contains(progress.String(), "fetching "+url) || strings.Contains(progress.String(), "cloning") {
			t.Errorf("ref %q: progress = %q", ref, progress.String())
		}
		if snap.Provenance.Commit != c3.String() || snap.Provenance.Version != "9.6.0" {
			t.Fatalf("ref %q: provenance = %+v", ref, snap.Provenance)
		}
	}
	if entries, _ := os.ReadDir(cache); len(entries) != 1 {
		t.Fatalf("cache holds %d entries after reuse, want 1", len(entries))
	}

	// The clone is bare.
	if _, err := os.Stat(filepath.Join(clone, "HEAD")); err != nil {
		t.Fatalf("clone is not bare: %v", err)
	}

	// Offline: tags already fetched still load; unknown ones explain the fetch failure.
	if err := os.RemoveAll(m.dir); err != nil {
		t.Fatal(err)
	}
	if _, err := (&Git{Repo: url, CacheDir: cache, Ref: "@astrojs/node@9.4.3"}).Load(ctx, node); err != nil {
		t.Fatalf("offline tag: %v", err)
	}
	_, err = (&Git{Repo: url, CacheDir: cache, Ref: "@astrojs/node@10.0.0"}).Load(ctx, node)
	if err == nil || !strings.Contains(err.Error(), "@astrojs/node@10.0.0") || !strings.Contains(err.Error(), "fetching failed") {
		t.Fatalf("offline unknown tag: err = %v", err)
	}
}

func TestGitFileURLOpensInPlace(t *testing.T) {
	m := newMonorepo(t)
	cache := t.TempDir()
	snap, err := (&Git{Repo: "file://" + filepath.ToSlash(m.dir), CacheDir: cache, Ref: "@astrojs/node@9.4.3"}).Load(context.Background(), mustAdapter(t, "node"))
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(m.dir)
	if snap.Provenance.Commit != m.c1.String() || snap.Provenance.Origin != abs {
		t.Fatalf("provenance = %+v", snap.Provenance)
	}
	if entries, _ := os.ReadDir(cache); len(entries) != 0 {
		t.Fatalf("a file:// repository was cloned into the cache (%d entries)", len(entries))
	}
}

func TestIsGitURL(t *testing.T) {
	tests := map[string]bool{
		"https://github.com/withastro/astro.git": true,
		"file:///tmp/repo":                       true,
		"git@github.com:withastro/astro.git":     true,
		"astro-upstream":                         false,
		"/work/main/astro-upstream":              false,
		"../astro":                               false,
		"./a@b:c":                                false,
	}
	for in, want := range tests {
		if got := isGitURL(in); got != want {
			t.Errorf("isGitURL(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestNearestVersions(t *testing.T) {
	versions := []string{"1.0.0", "9.4.1", "9.4.2", "9.4.3", "9.5.0", "10.0.0", "11.0.0", "not-semver", "9.4.2"}
	tests := []struct {
		target string
		n      int
		want   []string
	}{
		{"9.4.4", 5, []string{"9.4.1", "9.4.2", "9.4.3", "9.5.0", "10.0.0"}},
		{"0.1.0", 3, []string{"1.0.0", "9.4.1", "9.4.2"}},
		{"99.0.0", 3, []string{"9.5.0", "10.0.0", "11.0.0"}},
		{"latest", 2, []string{"10.0.0", "11.0.0"}},
		{"9.4.2", 20, []string{"1.0.0", "9.4.1", "9.4.2", "9.4.3", "9.5.0", "10.0.0", "11.0.0"}},
	}
	for _, tt := range tests {
		if got := nearestVersions(tt.target, versions, tt.n); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("nearestVersions(%q, %d) = %v, want %v", tt.target, tt.n, got, tt.want)
		}
	}
}
