package upstream

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport/client"
	"github.com/go-git/go-git/v5/plumbing/transport/server"
)

func TestMain(m *testing.M) {
	// Serve file:// URLs (used by the tests' own clones and by fetches from a
	// submodule's origin) and testgit:// URLs (which Git clones into its cache
	// like any remote) in process, so tests never run a git binary.
	client.InstallProtocol("file", server.NewServer(server.DefaultLoader))
	client.InstallProtocol("testgit", server.NewServer(server.DefaultLoader))
	// Retries in tests need not wait.
	retryBackoff = time.Millisecond
	os.Exit(m.Run())
}

var testSig = &object.Signature{Name: "Test", Email: "test@example.com", When: time.Unix(1700000000, 0).UTC()}

// writeFiles writes files (slash paths relative to dir) and removes those
// whose content is the string "<delete>".
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if content == "<delete>" {
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// commitAll stages every change in the worktree and commits it.
func commitAll(t *testing.T, repo *git.Repository, msg string) plumbing.Hash {
	t.Helper()
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		t.Fatal(err)
	}
	h, err := wt.Commit(msg, &git.CommitOptions{Author: testSig, Committer: testSig})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func annotatedTag(t *testing.T, repo *git.Repository, name string, h plumbing.Hash) {
	t.Helper()
	if _, err := repo.CreateTag(name, h, &git.CreateTagOptions{Tagger: testSig, Message: "release " + name}); err != nil {
		t.Fatalf("tag %s: %v", name, err)
	}
}

func lightTag(t *testing.T, repo *git.Repository, name string, h plumbing.Hash) {
	t.Helper()
	if _, err := repo.CreateTag(name, h, nil); err != nil {
		t.Fatalf("tag %s: %v", name, err)
	}
}

func branch(t *testing.T, repo *git.Repository, name string, h plumbing.Hash) {
	t.Helper()
	if err := repo.Storer.SetReference(plumbing.NewHashReference(plumbing.NewBranchReferenceName(name), h)); err != nil {
		t.Fatal(err)
	}
}

// monorepo is a small repository shaped like withastro/astro.
type monorepo struct {
	dir      string
	repo     *git.Repository
	c1, c2   plumbing.Hash // @astrojs/node 9.4.3 (astro 5.13.2), 9.5.0 (astro 5.14.0)
	indexV1  string        // src/index.ts at c1
	indexV2  string        // src/index.ts at c2
	license  string        // the root LICENSE
	nodeBase string        // the adapter folder
}

const nodeDir = "packages/integrations/node"

func newMonorepo(t *testing.T) *monorepo {
	t.Helper()
	m := &monorepo{
		dir:      t.TempDir(),
		indexV1:  "export default function createIntegration() {\n  return { name: '@astrojs/node' };\n}\n",
		indexV2:  "export default function createIntegration(opts) {\n  return { name: '@astrojs/node', opts };\n}\n",
		license:  "MIT License\n\nCopyright (c) 2021 Fred K. Schott\n",
		nodeBase: nodeDir,
	}
	repo, err := git.PlainInit(m.dir, false)
	if err != nil {
		t.Fatal(err)
	}
	m.repo = repo
	writeFiles(t, m.dir, map[string]string{
		"LICENSE":                                       m.license,
		"package.json":                                  `{"name":"root","private":true}`,
		"packages/astro/package.json":                   `{"name":"astro","version":"5.13.2"}`,
		"packages/astro/src/core.ts":                    "export const core = 1;\n",
		nodeDir + "/package.json":                       `{"name":"@astrojs/node","version":"9.4.3","devDependencies":{"astro":"workspace:*"}}`,
		nodeDir + "/src/index.ts":                       m.indexV1,
		nodeDir + "/src/server.ts":                      "export function createServer() {}\n",
		nodeDir + "/src/types.d.ts":                     "export type Options = {};\n",
		nodeDir + "/README.md":                          "# @astrojs/node\n",
		nodeDir + "/CHANGELOG.md":                       "# changes\n",
		nodeDir + "/tsconfig.json":                      `{"extends":"../../../tsconfig.base.json"}`,
		nodeDir + "/test/node.test.js":                  "test();\n",
		nodeDir + "/node_modules/dep/index.js":          "module.exports = 1;\n",
		nodeDir + "/src/node_modules/x.js":              "nested\n",
		"packages/integrations/cloudflare/package.json": `{"name":"@astrojs/cloudflare","version":"12.6.0"}`,
		"packages/integrations/cloudflare/src/index.ts": "export default {};\n",
		"packages/integrations/cloudflare/LICENSE":      "cloudflare license\n",
	})
	m.c1 = commitAll(t, repo, "node 9.4.3")
	annotatedTag(t, repo, "@astrojs/node@9.4.3", m.c1)
	lightTag(t, repo, "light-9.4.3", m.c1)
	annotatedTag(t, repo, "@astrojs/node@9.4.2", m.c1)
	branch(t, repo, "release-9.4", m.c1)

	writeFiles(t, m.dir, map[string]string{
		"packages/astro/package.json": `{"name":"astro","version":"5.14.0"}`,
		nodeDir + "/package.json":     `{"name":"@astrojs/node","version":"9.5.0","devDependencies":{"astro":"workspace:*"}}`,
		nodeDir + "/src/index.ts":     m.indexV2,
	})
	m.c2 = commitAll(t, repo, "node 9.5.0")
	annotatedTag(t, repo, "@astrojs/node@9.5.0", m.c2)
	annotatedTag(t, repo, "@astrojs/cloudflare@12.6.0", m.c2)
	return m
}

// commitWithGitlink commits, on top of HEAD, a tree that adds a gitlink
// (submodule entry) at name pointing to target, and moves the current branch.
func commitWithGitlink(t *testing.T, repo *git.Repository, name string, target plumbing.Hash) plumbing.Hash {
	t.Helper()
	head, err := repo.Head()
	if err != nil {
		t.Fatal(err)
	}
	parent, err := repo.CommitObject(head.Hash())
	if err != nil {
		t.Fatal(err)
	}
	tree, err := parent.Tree()
	if err != nil {
		t.Fatal(err)
	}
	entries := append([]object.TreeEntry(nil), tree.Entries...)
	entries = append(entries, object.TreeEntry{Name: name, Mode: filemode.Submodule, Hash: target})
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
	newTree := &object.Tree{Entries: entries}
	obj := repo.Storer.NewEncodedObject()
	if err := newTree.Encode(obj); err != nil {
		t.Fatal(err)
	}
	treeHash, err := repo.Storer.SetEncodedObject(obj)
	if err != nil {
		t.Fatal(err)
	}
	c := &object.Commit{
		Author:       *testSig,
		Committer:    *testSig,
		Message:      "add submodule " + name,
		TreeHash:     treeHash,
		ParentHashes: []plumbing.Hash{parent.Hash},
	}
	cobj := repo.Storer.NewEncodedObject()
	if err := c.Encode(cobj); err != nil {
		t.Fatal(err)
	}
	ch, err := repo.Storer.SetEncodedObject(cobj)
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Storer.SetReference(plumbing.NewHashReference(head.Name(), ch)); err != nil {
		t.Fatal(err)
	}
	return ch
}

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
