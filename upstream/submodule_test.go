package upstream

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

const gitmodules = "[submodule \"astro-upstream\"]\n\tpath = astro-upstream\n\turl = https://github.com/withastro/astro.git\n"

// newSuperproject builds a superproject whose HEAD tree records the
// monorepo's first commit as the gitlink "astro-upstream", with the
// submodule folder present but empty (uninitialised), as git leaves it.
func newSuperproject(t *testing.T, m *monorepo) string {
	t.Helper()
	dir := t.TempDir()
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, dir, map[string]string{".gitmodules": gitmodules, "README.md": "# zastro\n"})
	commitAll(t, repo, "init")
	commitWithGitlink(t, repo, "astro-upstream", m.c1)
	if err := os.Mkdir(filepath.Join(dir, "astro-upstream"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// initSubmodule clones the monorepo into the superproject the way
// "git submodule update --init" lays it out: the git dir in
// .git/modules/astro-upstream, a .git file in the folder, HEAD detached at
// the recorded commit.
func initSubmodule(t *testing.T, superDir string, m *monorepo) string {
	t.Helper()
	gitDir := filepath.Join(superDir, ".git", "modules", "astro-upstream")
	wtDir := filepath.Join(superDir, "astro-upstream")
	if err := os.MkdirAll(gitDir, 0o755); err != nil {
		t.Fatal(err)
	}
	st := filesystem.NewStorage(osfs.New(gitDir), cache.NewObjectLRUDefault())
	url := "file://" + filepath.ToSlash(filepath.Join(m.dir, ".git"))
	repo, err := git.Clone(st, osfs.New(wtDir), &git.CloneOptions{URL: url, Tags: git.AllTags})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(wtDir, ".git"), []byte("gitdir: ../.git/modules/astro-upstream\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	if err := wt.Checkout(&git.CheckoutOptions{Hash: m.c1}); err != nil {
		t.Fatal(err)
	}
	return wtDir
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestSubmodule(t *testing.T) {
	m := newMonorepo(t)
	superDir := newSuperproject(t, m)
	ctx := context.Background()
	node := mustAdapter(t, "node")

	// The recorded gitlink.
	got, err := SubmoduleCommit(superDir, "astro-upstream")
	if err != nil || got != m.c1.String() {
		t.Fatalf("SubmoduleCommit = %q, %v; want %s", got, err, m.c1)
	}
	if got, err := SubmoduleCommit(superDir, "./astro-upstream/"); err != nil || got != m.c1.String() {
		t.Fatalf("SubmoduleCommit(./astro-upstream/) = %q, %v", got, err)
	}

	// Uninitialised.
	st, err := SubmoduleStatus(superDir, "astro-upstream")
	if err != nil {
		t.Fatal(err)
	}
	want := SubmoduleState{Path: "astro-upstream", URL: "https://github.com/withastro/astro.git", Recorded: m.c1.String()}
	if st != want {
		t.Fatalf("status = %+v\nwant %+v", st, want)
	}
	if _, err := SubmoduleCheckout(ctx, superDir, "astro-upstream", "@astrojs/node@9.5.0"); err == nil || !strings.Contains(err.Error(), "not initialised") {
		t.Fatalf("checkout uninitialised: err = %v", err)
	}
	if err := SubmoduleReset(superDir, "astro-upstream"); err == nil || !strings.Contains(err.Error(), "not initialised") {
		t.Fatalf("reset uninitialised: err = %v", err)
	}
	if _, err := (&Git{Repo: filepath.Join(superDir, "astro-upstream")}).Load(ctx, node); err == nil || !strings.Contains(err.Error(), "git submodule update --init") {
		t.Fatalf("load uninitialised: err = %v", err)
	}

	// Initialised at the recorded commit.
	sub := initSubmodule(t, superDir, m)
	st, err = SubmoduleStatus(superDir, "astro-upstream")
	if err != nil {
		t.Fatal(err)
	}
	want.Initialised, want.CheckedOut = true, m.c1.String()
	if st != want {
		t.Fatalf("status = %+v\nwant %+v", st, want)
	}
	// Load through the submodule's .git file.
	snap, err := (&Git{Repo: sub, Ref: "@astrojs/node@9.5.0"}).Load(ctx, node)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Provenance.Commit != m.c2.String() || string(snap.Files["src/index.ts"]) != m.indexV2 {
		t.Fatalf("load via .git file: %+v", snap.Provenance)
	}
	if got := readFile(t, filepath.Join(sub, nodeDir, "src/index.ts")); got != m.indexV1 {
		t.Fatalf("Load moved the submodule worktree: %q", got)
	}

	// A dirty worktree is reported and blocks a checkout.
	indexPath := filepath.Join(sub, nodeDir, "src/index.ts")
	writeFiles(t, sub, map[string]string{nodeDir + "/src/index.ts": "// edited\n"})
	if st, err := SubmoduleStatus(superDir, "astro-upstream"); err != nil || !st.Dirty {
		t.Fatalf("dirty status = %+v, %v", st, err)
	}
	if _, err := SubmoduleCheckout(ctx, superDir, "astro-upstream", "@astrojs/node@9.5.0"); err == nil || !strings.Contains(err.Error(), "uncommitted changes") {
		t.Fatalf("checkout dirty: err = %v", err)
	}
	if got := readFile(t, indexPath); got != "// edited\n" {
		t.Fatalf("refused checkout touched the file: %q", got)
	}
	// Same content again (new mtime): clean. Untracked files do not count.
	writeFiles(t, sub, map[string]string{nodeDir + "/src/index.ts": m.indexV1, "scratch.txt": "untracked\n"})
	if st, err := SubmoduleStatus(superDir, "astro-upstream"); err != nil || st.Dirty {
		t.Fatalf("restored status = %+v, %v", st, err)
	}

	// Move to a tag.
	c, err := SubmoduleCheckout(ctx, superDir, "astro-upstream", "@astrojs/node@9.5.0")
	if err != nil || c != m.c2.String() {
		t.Fatalf("checkout = %q, %v; want %s", c, err, m.c2)
	}
	if got := readFile(t, indexPath); got != m.indexV2 {
		t.Fatalf("after checkout src/index.ts = %q", got)
	}
	st, err = SubmoduleStatus(superDir, "astro-upstream")
	if err != nil {
		t.Fatal(err)
	}
	if st.CheckedOut != m.c2.String() || st.Recorded != m.c1.String() || !st.Moved || st.Dirty {
		t.Fatalf("status after checkout = %+v", st)
	}
	if got, _ := SubmoduleCommit(superDir, "astro-upstream"); got != m.c1.String() {
		t.Fatalf("checkout changed the recorded gitlink: %s", got)
	}
	snap, err = (&Git{Repo: sub}).Load(ctx, node)
	if err != nil || snap.Provenance.Version != "9.5.0" {
		t.Fatalf("load HEAD after checkout: %v, %v", snap, err)
	}

	// An abbreviated sha works too.
	if c, err := SubmoduleCheckout(ctx, superDir, "astro-upstream", m.c1.String()[:8]); err != nil || c != m.c1.String() {
		t.Fatalf("checkout by sha = %q, %v", c, err)
	}
	if c, err := SubmoduleCheckout(ctx, superDir, "astro-upstream", "master"); err != nil || c != m.c2.String() {
		t.Fatalf("checkout by branch = %q, %v", c, err)
	}

	// Unknown ref: the origin is fetched, then a clear error.
	if _, err := SubmoduleCheckout(ctx, superDir, "astro-upstream", "@astrojs/node@0.0.1"); err == nil || !strings.Contains(err.Error(), `unknown ref "@astrojs/node@0.0.1"`) {
		t.Fatalf("unknown ref: err = %v", err)
	}
	// A tag published upstream after the clone is fetched.
	writeFiles(t, m.dir, map[string]string{nodeDir + "/package.json": `{"name":"@astrojs/node","version":"9.6.0"}`})
	c3 := commitAll(t, m.repo, "node 9.6.0")
	annotatedTag(t, m.repo, "@astrojs/node@9.6.0", c3)
	if c, err := SubmoduleCheckout(ctx, superDir, "astro-upstream", "@astrojs/node@9.6.0"); err != nil || c != c3.String() {
		t.Fatalf("checkout of a new upstream tag = %q, %v", c, err)
	}

	// Reset to the recorded commit.
	if err := SubmoduleReset(superDir, "astro-upstream"); err != nil {
		t.Fatal(err)
	}
	st, err = SubmoduleStatus(superDir, "astro-upstream")
	if err != nil {
		t.Fatal(err)
	}
	if st.CheckedOut != m.c1.String() || st.Moved || st.Dirty {
		t.Fatalf("status after reset = %+v", st)
	}
	if got := readFile(t, indexPath); got != m.indexV1 {
		t.Fatalf("after reset src/index.ts = %q", got)
	}
	if got := readFile(t, filepath.Join(sub, "scratch.txt")); got != "untracked\n" {
		t.Fatalf("untracked file lost: %q", got)
	}
}

func TestSubmoduleErrors(t *testing.T) {
	m := newMonorepo(t)
	superDir := newSuperproject(t, m)
	tests := []struct {
		path string
		want string
	}{
		{"README.md", "is not a submodule"},
		{"missing", `no submodule "missing"`},
		{"../outside", "invalid submodule path"},
		{"/abs", "invalid submodule path"},
	}
	for _, tt := range tests {
		if _, err := SubmoduleCommit(superDir, tt.path); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("SubmoduleCommit(%q): err = %v, want %q", tt.path, err, tt.want)
		}
		if _, err := SubmoduleStatus(superDir, tt.path); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("SubmoduleStatus(%q): err = %v, want %q", tt.path, err, tt.want)
		}
	}
	if _, err := SubmoduleCommit(t.TempDir(), "astro-upstream"); err == nil || !strings.Contains(err.Error(), "superproject") {
		t.Errorf("not a repository: err = %v", err)
	}
	// .gitmodules missing from the worktree: read from HEAD.
	if err := os.Remove(filepath.Join(superDir, ".gitmodules")); err != nil {
		t.Fatal(err)
	}
	st, err := SubmoduleStatus(superDir, "astro-upstream")
	if err != nil || st.URL != "https://github.com/withastro/astro.git" {
		t.Fatalf("status without worktree .gitmodules = %+v, %v", st, err)
	}
}
