package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sweepRegistry serves @astrojs/node with a node 10.x-shaped version that
// builds (the transform fixture, 10.0.0 and 10.1.0) and an 8.x one that the
// recipe rejects (8.5.0, no serve-app).
func sweepRegistry(t *testing.T) string {
	t.Helper()
	good := func(version string) map[string]string {
		files := map[string]string{}
		dir := filepath.Join("..", "..", "transform", "testdata", "node-10", "dist")
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			if strings.HasSuffix(e.Name(), ".js") {
				b, err := os.ReadFile(filepath.Join(dir, e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				files["dist/"+e.Name()] = string(b)
			}
		}
		files["dist/index.d.ts"] = "export default function createIntegration(options: unknown): unknown;\n"
		files["dist/server.d.ts"] = "export declare const handler: unknown;\n" // as every published version has
		files["dist/middleware.js"] = "export default function createMiddleware() { return (req, res, next) => next(); }\n"
		files["package.json"] = `{"name":"@astrojs/node","version":"` + version + `","type":"module",` +
			`"exports":{".":"./dist/index.js","./server.js":"./dist/server.js","./preview.js":"./dist/preview.js"},` +
			`"devDependencies":{"astro":"5.0.0"}}`
		return files
	}
	tgz := map[string][]byte{
		"10.0.0": sweepTarball(t, good("10.0.0")),
		"10.1.0": sweepTarball(t, good("10.1.0")),
		"8.5.0": sweepTarball(t, map[string]string{
			"package.json":  `{"name":"@astrojs/node","version":"8.5.0","type":"module","devDependencies":{"astro":"4.0.0"}}`,
			"dist/index.js": "export default function createIntegration() { return { name: '@astrojs/node', hooks: {} } }\n",
		}),
	}
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.RequestURI == "/@astrojs%2fnode" {
			versions := map[string]any{}
			for v, b := range tgz {
				sum := sha512.Sum512(b)
				versions[v] = map[string]any{"dist": map[string]string{
					"tarball":   srv.URL + "/@astrojs/node/-/node-" + v + ".tgz",
					"integrity": "sha512-" + base64.StdEncoding.EncodeToString(sum[:]),
				}}
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"name": "@astrojs/node", "dist-tags": map[string]string{"latest": "10.1.0"}, "versions": versions})
			return
		}
		if v, ok := strings.CutPrefix(r.URL.Path, "/@astrojs/node/-/node-"); ok {
			if b, ok := tgz[strings.TrimSuffix(v, ".tgz")]; ok {
				_, _ = w.Write(b)
				return
			}
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func sweepTarball(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: "package/" + name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestSweep(t *testing.T) {
	reg := sweepRegistry(t)
	dir := t.TempDir()
	environ := map[string]string{"npm_config_registry": reg, "ZASTRO_CACHE": filepath.Join(dir, "cache"), "HOME": dir}

	// In range: both 10.x versions pass, the results are merged into --results.
	code, stdout, stderr := zastro(t, dir, environ, "sweep", "node", "--range", ">=10.0.0", "--results", "out", "--json")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var reps []struct {
		Adapter string
		Results []struct{ Version, Status string }
	}
	if err := json.Unmarshal([]byte(stdout), &reps); err != nil {
		t.Fatalf("--json: %v\n%s", err, stdout)
	}
	if len(reps) != 1 || reps[0].Adapter != "node" || len(reps[0].Results) != 2 || reps[0].Results[0].Version != "10.0.0" || reps[0].Results[1].Status != "pass" {
		t.Fatalf("report: %+v", reps)
	}
	for _, want := range []string{"sweep node: 2/2", "2 of 3 published versions swept", "10.0.0 – 10.1.0 (2)", "agrees with the sweep", "measured range:           >=10.0.0"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	for _, f := range []string{"out/node.json", "out/node.md"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s not written: %v", f, err)
		}
	}

	// Every version: 8.5.0 is inside the node recipe's declared range and
	// fails, which is a failure of the sweep (exit 1) that names it.
	code, _, stderr = zastro(t, dir, environ, "sweep", "node", "--results", "out", "--workers", "2")
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, stderr)
	}
	for _, want := range []string{"DISAGREES with the sweep", "8.5.0 fail: dist/index.js: step \"node/", "transform"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "out", "node.json"))
	if err != nil || !strings.Contains(string(b), `"version": "8.5.0"`) || strings.Count(string(b), `"status": "pass"`) != 2 {
		t.Errorf("merged results: %v\n%s", err, b)
	}

	// --no-write writes nothing, even where ./sweep/results exists.
	if err := os.MkdirAll(filepath.Join(dir, "sweep", "results"), 0o755); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := zastro(t, dir, environ, "sweep", "node", "--range", "10.0.0", "--no-write"); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if ents, _ := os.ReadDir(filepath.Join(dir, "sweep", "results")); len(ents) != 0 {
		t.Errorf("--no-write wrote %v", ents)
	}
	// Without flags, ./sweep/results is where the results go.
	if code, _, stderr := zastro(t, dir, environ, "sweep", "node", "--range", "10.0.0"); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "sweep", "results", "node.json")); err != nil {
		t.Errorf("default results folder not used: %v", err)
	}
}

func TestSweepUsage(t *testing.T) {
	for _, args := range [][]string{
		{"sweep", "nosuch"},
		{"sweep", "node", "--workers", "0"},
		{"sweep", "node", "--bogus"},
	} {
		if code, _, stderr := zastro(t, t.TempDir(), nil, args...); code != 2 {
			t.Errorf("zastro %v: exit %d, want 2 (%s)", args, code, stderr)
		}
	}
	if code, _, stderr := zastro(t, t.TempDir(), nil, "sweep", "--help"); code != 0 || !strings.Contains(stderr, "Usage: zastro sweep") {
		t.Errorf("sweep --help: exit %d\n%s", code, stderr)
	}
}
