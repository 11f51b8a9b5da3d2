package sweep

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fixtureDir is the hand-written node 10.x adapter of the transform tests:
// the sweep builds it like a published tarball.
const fixtureDir = "../transform/testdata/node-10"

// adapterFiles returns a node 10.x-shaped package at version: the transform
// fixture's dist/*.js plus what a published tarball has around them.
func adapterFiles(t *testing.T, version string) map[string]string {
	t.Helper()
	files := map[string]string{}
	ents, err := os.ReadDir(filepath.Join(fixtureDir, "dist"))
	if err != nil {
		t.Fatalf("the sweep tests build the transform fixture: %v", err)
	}
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".js") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(fixtureDir, "dist", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files["dist/"+e.Name()] = string(b)
	}
	if len(files) == 0 {
		t.Fatalf("no dist/*.js in %s", fixtureDir)
	}
	pj, _ := json.Marshal(map[string]any{
		"name": "@astrojs/node", "version": version, "type": "module",
		"exports": map[string]string{
			".": "./dist/index.js", "./server.js": "./dist/server.js",
			"./preview.js": "./dist/preview.js", "./package.json": "./package.json",
		},
		"devDependencies": map[string]string{"astro": "5.0.0"},
	})
	files["package.json"] = string(pj)
	files["dist/index.d.ts"] = "export default function createIntegration(options: unknown): unknown;\n"
	files["dist/server.d.ts"] = "export declare const handler: unknown;\n" // as every published version has
	files["dist/middleware.js"] = "export default function createMiddleware(app, options) { return (req, res, next) => next(); }\n"
	files["LICENSE"] = "MIT\n"
	return files
}

func tarball(t *testing.T, files map[string]string) []byte {
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

// registry serves @astrojs/node's packument and tarballs.
type registry struct {
	srv        *httptest.Server
	tarballs   map[string][]byte
	integrity  map[string]string // overrides
	deprecated map[string]string
	packuments atomic.Int32
	tarHits    atomic.Int32
}

func newRegistry(t *testing.T) *registry {
	r := &registry{tarballs: map[string][]byte{}, integrity: map[string]string{}, deprecated: map[string]string{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.RequestURI == "/@astrojs%2fnode" {
			r.packuments.Add(1)
			versions := map[string]any{}
			for v, tgz := range r.tarballs {
				sum := sha512.Sum512(tgz)
				integrity := "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
				if o, ok := r.integrity[v]; ok {
					integrity = o
				}
				meta := map[string]any{"dist": map[string]string{"tarball": r.srv.URL + "/@astrojs/node/-/node-" + v + ".tgz", "integrity": integrity}}
				if d, ok := r.deprecated[v]; ok {
					meta["deprecated"] = d
				}
				versions[v] = meta
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"name": "@astrojs/node", "dist-tags": map[string]string{"latest": "10.3.0"}, "versions": versions})
			return
		}
		if v, ok := strings.CutPrefix(req.URL.Path, "/@astrojs/node/-/node-"); ok {
			r.tarHits.Add(1)
			if tgz, ok := r.tarballs[strings.TrimSuffix(v, ".tgz")]; ok {
				_, _ = w.Write(tgz)
				return
			}
		}
		http.NotFound(w, req)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func TestRun(t *testing.T) {
	reg := newRegistry(t)
	for _, v := range []string{"9.0.0", "10.0.0", "10.0.1", "10.3.0", "11.0.0-beta.1"} {
		reg.tarballs[v] = tarball(t, adapterFiles(t, v))
	}
	noApp := adapterFiles(t, "10.1.0")
	delete(noApp, "dist/serve-app.js")
	reg.tarballs["10.1.0"] = tarball(t, noApp)
	noMiddleware := adapterFiles(t, "10.2.0")
	delete(noMiddleware, "dist/middleware.js")
	reg.tarballs["10.2.0"] = tarball(t, noMiddleware)
	reg.tarballs["10.2.1"] = tarball(t, adapterFiles(t, "10.2.1"))
	reg.integrity["10.2.1"] = "sha512-" + base64.StdEncoding.EncodeToString(make([]byte, 64))
	reg.deprecated["10.0.1"] = "use 10.0.2"

	var mu sync.Mutex
	var seen []int
	rep, err := Run(context.Background(), Options{
		Adapter:  "node",
		Range:    ">=10.0.0",
		Registry: reg.srv.URL,
		Workers:  3,
		OnResult: func(done, total int, r Result) {
			mu.Lock()
			defer mu.Unlock()
			if total != 6 {
				t.Errorf("total = %d, want 6", total)
			}
			seen = append(seen, done)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(seen, []int{1, 2, 3, 4, 5, 6}) {
		t.Errorf("OnResult saw done = %v, want 1..6 in order", seen)
	}
	type row struct {
		version string
		status  Status
		stage   string
		step    string
	}
	var got []row
	for _, r := range rep.Results {
		got = append(got, row{r.Version, r.Status, r.Stage, r.Step})
	}
	// 9.0.0 is outside the range; 11.0.0-beta.1 too (the range names no pre-release).
	want := []row{
		{"10.0.0", Pass, "", ""},
		{"10.0.1", Pass, "", ""},
		{"10.1.0", Fail, "transform", "node/locals-app-handler"},
		{"10.2.0", Fail, "verify", "server entry"},
		{"10.2.1", Error, "fetch", ""},
		{"10.3.0", Pass, "", ""},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("results:\n got %v\nwant %v", got, want)
	}
	byVersion := map[string]Result{}
	for _, r := range rep.Results {
		byVersion[r.Version] = r
	}
	if r := byVersion["10.0.0"]; r.PackageVersion != "5.0.0-node.10.0.0" || r.AstroVersion != "5.0.0" || r.Changes == 0 {
		t.Errorf("10.0.0: %+v", r)
	}
	if !byVersion["10.0.1"].Deprecated || byVersion["10.0.0"].Deprecated {
		t.Errorf("deprecation not recorded: %+v", byVersion["10.0.1"])
	}
	if r := byVersion["10.1.0"]; !strings.Contains(r.Error, "none of its files is in the package") || strings.HasPrefix(r.Error, "node@") || r.Errors == 0 {
		t.Errorf("10.1.0: %+v", r)
	}
	if r := byVersion["10.2.0"]; !strings.Contains(r.Error, "./middleware.js") {
		t.Errorf("10.2.0: %+v", r)
	}
	if r := byVersion["10.2.1"]; !strings.Contains(r.Error, "integrity mismatch") {
		t.Errorf("10.2.1: %+v", r)
	}
	if rep.Published != 8 || rep.Latest != "10.3.0" || rep.Adapter != "node" || rep.Package != "@astrojs/node" || rep.NewPackage != "zastro-websockets-node" {
		t.Errorf("header: %+v", rep)
	}
	if rep.Measured != ">=10.0.0 <10.1.0 || >=10.3.0" {
		t.Errorf("measured = %q", rep.Measured)
	}
	if n := reg.packuments.Load(); n != 1 {
		t.Errorf("the packument was fetched %d times, want once", n)
	}
	if _, err := time.ParseInLocation("2006-01-02", rep.Date, time.UTC); err != nil {
		t.Errorf("date %q: %v", rep.Date, err)
	}
}

func TestRunVersionsAndCache(t *testing.T) {
	reg := newRegistry(t)
	reg.tarballs["10.0.0"] = tarball(t, adapterFiles(t, "10.0.0"))
	reg.tarballs["10.0.1"] = tarball(t, adapterFiles(t, "10.0.1"))
	cache := t.TempDir()
	for i := 0; i < 2; i++ {
		rep, err := Run(context.Background(), Options{Adapter: "node", Versions: []string{"10.0.1"}, Registry: reg.srv.URL, CacheDir: cache})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Results) != 1 || rep.Results[0].Version != "10.0.1" || rep.Results[0].Status != Pass {
			t.Fatalf("run %d: %+v", i, rep.Results)
		}
	}
	if n := reg.tarHits.Load(); n != 1 {
		t.Errorf("%d tarball downloads for two sweeps with a cache, want 1", n)
	}
}

func TestRunErrors(t *testing.T) {
	reg := newRegistry(t)
	reg.tarballs["10.0.0"] = tarball(t, adapterFiles(t, "10.0.0"))
	cases := []struct {
		name string
		opts Options
		want string
	}{
		{"adapter", Options{Adapter: "vercel"}, `unknown adapter "vercel"`},
		{"range", Options{Adapter: "node", Range: "newest"}, `range "newest"`},
		{"empty range", Options{Adapter: "node", Range: ">=12.0.0"}, `no published version in range ">=12.0.0"`},
		{"inexact version", Options{Adapter: "node", Versions: []string{"^10.0.0"}}, "not a range"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.opts.Registry == "" {
				c.opts.Registry = reg.srv.URL
			}
			_, err := Run(context.Background(), c.opts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
}

func TestRunCanceled(t *testing.T) {
	reg := newRegistry(t)
	for i := range 8 {
		v := fmt.Sprintf("10.0.%d", i)
		reg.tarballs[v] = tarball(t, adapterFiles(t, v))
	}
	ctx, cancel := context.WithCancel(context.Background())
	_, err := Run(ctx, Options{Adapter: "node", Registry: reg.srv.URL, Workers: 1, OnResult: func(done, _ int, _ Result) {
		if done == 2 {
			cancel()
		}
	}})
	if err == nil || !strings.Contains(err.Error(), "stopped after") {
		t.Fatalf("err = %v, want the sweep to stop", err)
	}
}
