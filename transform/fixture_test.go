package transform

import (
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zastro-dev/zastro/transform/engine"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fixture is a hand-written package in testdata/: its files (goldens left
// out) and the version its package.json declares.
type fixture struct {
	dir     string
	version string
	files   map[string][]byte
}

func loadFixture(tb testing.TB, dir string) fixture {
	tb.Helper()
	root := filepath.Join("testdata", dir)
	fx := fixture{dir: root, files: map[string][]byte{}}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".golden") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		fx.files[filepath.ToSlash(rel)] = b
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	var pkg struct{ Version string }
	if err := json.Unmarshal(fx.files["package.json"], &pkg); err != nil {
		tb.Fatalf("%s/package.json: %v", root, err)
	}
	fx.version = pkg.Version
	return fx
}

func (fx fixture) input(adapter string) engine.Input {
	return engine.Input{Adapter: adapter, Version: fx.version, Files: fx.files}
}

// golden compares got with testdata/<name>, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test ./transform -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file:\n%s", p, engine.UnifiedDiff(name, want, got))
	}
}
