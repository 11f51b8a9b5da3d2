package assemble

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zastro-dev/zastro/upstream"
)

// fixtureSnapshot reads a hand-written adapter from transform/testdata (the
// TypeScript sources of a git checkout).
func fixtureSnapshot(t *testing.T, name, version string) *upstream.Snapshot {
	t.Helper()
	root := filepath.Join("..", "transform", "testdata", name)
	files := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".golden") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		files[filepath.ToSlash(rel)] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	files["package.json"] = []byte(`{"name":"@astrojs/node","version":"` + version + `","type":"module","exports":{".":"./dist/index.js","./server.js":"./dist/server.js","./preview.js":"./dist/preview.js","./package.json":"./package.json"},"files":["dist"],"peerDependencies":{"astro":"^7.0.0"}}`)
	return &upstream.Snapshot{Files: files, Provenance: upstream.Provenance{
		Source: "git", Package: "@astrojs/node", Version: version, AstroVersion: "7.0.0", Commit: "2dbf9990000000000000000000000000000000aa",
	}}
}

type fixedSource struct {
	snap *upstream.Snapshot
	err  error
}

func (s fixedSource) Load(context.Context, upstream.Adapter) (*upstream.Snapshot, error) {
	return s.snap, s.err
}

// fixtureTypes stands for the npm tarball's declarations.
func fixtureTypes(context.Context, upstream.Adapter, string) (*upstream.Snapshot, error) {
	return &upstream.Snapshot{Files: map[string][]byte{
		"dist/index.d.ts":  []byte("export default function createIntegration(o: unknown): unknown;\n"),
		"dist/server.d.ts": []byte("export declare const handler: unknown;\n"),
	}}, nil
}

// RunEach gives each build the result that a build on its own gives, in the
// order asked, and a failing build does not disturb the others.
func TestRunEachMatchesRun(t *testing.T) {
	snap := fixtureSnapshot(t, "node-11", "11.1.0")
	opts := func(out string, src upstream.Source, progress *bytes.Buffer) Options {
		return Options{Adapter: "node", Source: src, Types: fixtureTypes, Out: out, Progress: progress}
	}
	var alone bytes.Buffer
	want := Run(context.Background(), opts(t.TempDir(), fixedSource{snap: snap}, &alone))
	if want.Failed() {
		t.Fatal(want.Errors[0].String())
	}

	var progress bytes.Buffer
	broken := errors.New("the registry is unreachable")
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	got := RunEach(context.Background(), []Options{
		opts(dirs[0], fixedSource{snap: snap}, &progress),
		opts(dirs[1], fixedSource{err: broken}, &progress),
		opts(dirs[2], fixedSource{snap: snap}, &progress),
	})
	if len(got) != 3 {
		t.Fatalf("%d results, want 3", len(got))
	}
	if !got[1].Failed() || !strings.Contains(got[1].Errors[0].String(), broken.Error()) {
		t.Errorf("the build with a broken source: %+v", got[1].Errors)
	}
	if _, err := os.Stat(filepath.Join(dirs[1], "node")); !os.IsNotExist(err) {
		t.Errorf("the failed build wrote output: %v", err)
	}
	for _, i := range []int{0, 2} {
		if got[i].Failed() {
			t.Fatalf("build %d: %s", i, got[i].Errors[0].String())
		}
		if len(got[i].Files) != len(want.Files) {
			t.Errorf("build %d: %d files, want %d", i, len(got[i].Files), len(want.Files))
		}
		for p, b := range want.Files {
			if !bytes.Equal(got[i].Files[p], b) {
				t.Errorf("build %d: %s differs from a build on its own", i, p)
			}
			disk, err := os.ReadFile(filepath.Join(dirs[i], "node", filepath.FromSlash(p)))
			if err != nil || !bytes.Equal(disk, b) {
				t.Errorf("build %d: %s on disk differs (%v)", i, p, err)
			}
		}
	}
	// Progress lines stay whole when builds write at once.
	lines := strings.Split(strings.TrimSpace(progress.String()), "\n")
	if strings.Count(progress.String(), alone.String()) != 2 || len(lines) != 2*len(strings.Split(strings.TrimSpace(alone.String()), "\n")) {
		t.Errorf("progress of two builds:\n%s\nwant twice:\n%s", progress.String(), alone.String())
	}
}
