package main

// BenchmarkCLIBuild runs `zastro build node cloudflare` as a user does, one
// fresh process per iteration, from cached tarballs: a local registry on
// 127.0.0.1 answers the packuments and serves the tarballs from the zastro
// cache, so the figure holds no network time. Beside it, esbuild alone
// compiling the same files, measured in turn with it.
//
//	go test -run '^$' -bench CLIBuild ./cmd/zastro/

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zastro-dev/zastro/internal/benchkit"
	"github.com/zastro-dev/zastro/upstream"
)

// childEnv makes the test binary run the CLI's main instead of the tests.
const childEnv = "ZASTRO_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func BenchmarkCLIBuild(b *testing.B) {
	adapters := []string{"node", "cloudflare"}
	snaps := map[string]*upstream.Snapshot{}
	tarballs := map[string][]byte{}
	in := map[string][]byte{}
	for _, a := range adapters {
		snap, err := benchkit.Snapshot(a, benchkit.Newest[a])
		if err != nil {
			b.Fatal(err)
		}
		tgz, err := benchkit.Tarball(snap)
		if err != nil {
			b.Fatal(err)
		}
		files, err := benchkit.EsbuildInputs(a, snap)
		if err != nil {
			b.Fatal(err)
		}
		for p, c := range files {
			in[p] = c
		}
		snaps[snap.Provenance.Package], tarballs[snap.Provenance.Package] = snap, tgz
	}
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/")
		if pkg, ok := strings.CutSuffix(name, ".tgz"); ok {
			w.Write(tarballs[strings.ReplaceAll(pkg, "_", "/")])
			return
		}
		pkg := strings.ReplaceAll(name, "%2f", "/")
		pkg = strings.ReplaceAll(pkg, "%2F", "/")
		snap, ok := snaps[pkg]
		if !ok {
			http.NotFound(w, r)
			return
		}
		v := snap.Provenance.Version
		json.NewEncoder(w).Encode(map[string]any{
			"name": pkg,
			"versions": map[string]any{v: map[string]any{"version": v, "dist": map[string]string{
				"tarball":   srv.URL + "/" + strings.ReplaceAll(pkg, "/", "_") + ".tgz",
				"integrity": snap.Provenance.Integrity,
			}}},
		})
	}))
	defer srv.Close()

	dir, cache := b.TempDir(), b.TempDir()
	cli := func() {
		cmd := exec.Command(os.Args[0], append([]string{"build"}, adapters...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), childEnv+"=1", "ZASTRO_CACHE="+cache, "npm_config_registry="+srv.URL+"/")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("zastro build: %v\n%s", err, out)
		}
	}
	cli() // fills this benchmark's own cache from the local registry
	if _, err := os.Stat(filepath.Join(dir, "packages", "cloudflare", "package.json")); err != nil {
		b.Fatal(err)
	}
	var own, alone benchkit.Cost
	for i := 0; i < b.N; i++ {
		own.Measure(cli)
		alone.Measure(func() {
			if err := benchkit.EsbuildAlone(in); err != nil {
				b.Fatal(err)
			}
		})
	}
	for unit, v := range benchkit.Metrics(own, alone) {
		if unit != "B/op" && unit != "allocs/op" { // another process's
			b.ReportMetric(v, unit)
		}
	}
	b.ReportMetric(0, "B/op")
	b.ReportMetric(0, "allocs/op")
	b.ReportMetric(float64(len(in)), "files")
}
