package upstream

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestDirLoad(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"package.json":            `{"name":"@astrojs/node","version":"9.4.3","devDependencies":{"astro":"5.13.2"}}`,
		"src/index.ts":            "export {};\n",
		"src/test/helper.ts":      "kept: only the top-level test folder is skipped\n",
		"LICENSE":                 "MIT\n",
		"CHANGELOG.md":            "skipped\n",
		"test/a.test.js":          "skipped\n",
		"node_modules/x/index.js": "skipped\n",
		"src/node_modules/y.js":   "skipped\n",
		".git/HEAD":               "skipped\n",
		"dist/index.js":           "kept\n",
	})
	snap, err := (&Dir{Path: dir}).Load(context.Background(), mustAdapter(t, "node"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"LICENSE", "dist/index.js", "package.json", "src/index.ts", "src/test/helper.ts"}
	if got := snap.Paths(); !reflect.DeepEqual(got, want) {
		t.Fatalf("paths = %v, want %v", got, want)
	}
	abs, _ := filepath.Abs(dir)
	wantProv := Provenance{Source: "dir", Adapter: "node", Package: "@astrojs/node", Version: "9.4.3", AstroVersion: "5.13.2", Origin: abs}
	if snap.Provenance != wantProv {
		t.Fatalf("provenance = %+v\nwant %+v", snap.Provenance, wantProv)
	}
}

func TestDirLoadErrors(t *testing.T) {
	node := mustAdapter(t, "node")
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) string
		want  []string
	}{
		{"missing folder", func(t *testing.T, dir string) string { return filepath.Join(dir, "nope") }, []string{"nope"}},
		{"a file", func(t *testing.T, dir string) string {
			writeFiles(t, dir, map[string]string{"f": "x"})
			return filepath.Join(dir, "f")
		}, []string{"not a folder"}},
		{"no package.json", func(t *testing.T, dir string) string {
			writeFiles(t, dir, map[string]string{"src/a.ts": "x"})
			return dir
		}, []string{"no package.json"}},
		{"bad json", func(t *testing.T, dir string) string {
			writeFiles(t, dir, map[string]string{"package.json": "{"})
			return dir
		}, []string{"package.json"}},
		{"wrong name", func(t *testing.T, dir string) string {
			writeFiles(t, dir, map[string]string{"package.json": `{"name":"@astrojs/cloudflare","version":"1.0.0"}`})
			return dir
		}, []string{`"@astrojs/cloudflare"`, `want "@astrojs/node"`}},
		{"no version", func(t *testing.T, dir string) string {
			writeFiles(t, dir, map[string]string{"package.json": `{"name":"@astrojs/node"}`})
			return dir
		}, []string{"no version"}},
		{"bad version", func(t *testing.T, dir string) string {
			writeFiles(t, dir, map[string]string{"package.json": `{"name":"@astrojs/node","version":"next"}`})
			return dir
		}, []string{`"next" is not semver`}},
		{"symlink", func(t *testing.T, dir string) string {
			writeFiles(t, dir, map[string]string{"package.json": `{"name":"@astrojs/node","version":"1.0.0"}`})
			if err := os.Symlink("/etc/passwd", filepath.Join(dir, "link")); err != nil {
				t.Skip(err)
			}
			return dir
		}, []string{"link", "symbolic links"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.setup(t, t.TempDir())
			_, err := (&Dir{Path: p}).Load(context.Background(), node)
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
}
