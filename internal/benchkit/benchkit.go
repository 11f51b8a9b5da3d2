// Package benchkit holds what the build benchmarks share: real upstream
// snapshots read from the zastro cache (fetched from the npm registry the
// first time), esbuild alone on the same files as a baseline, and the
// process's CPU time. Benchmarks print figures; nothing here asserts a time.
package benchkit

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/evanw/esbuild/pkg/api"
	"github.com/zastro-dev/zastro/adapters"
	"github.com/zastro-dev/zastro/assemble"
	"github.com/zastro-dev/zastro/templates"
	"github.com/zastro-dev/zastro/upstream"
)

// Newest are the adapter versions that `zastro build` builds from npm by
// default: the newest each recipe supports.
var Newest = func() map[string]string {
	m := map[string]string{}
	for _, d := range adapters.All() {
		m[d.Name] = d.Newest
	}
	return m
}()

// CacheRoot is the CLI's cache folder ($ZASTRO_CACHE, else the user cache
// folder's zastro/); tarballs are in its npm/ folder.
func CacheRoot() string {
	if d := os.Getenv("ZASTRO_CACHE"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "zastro")
	}
	return filepath.Join(os.TempDir(), "zastro-cache")
}

// Snapshot loads a real adapter version from the npm registry, or from the
// cache after the first time (the registry still answers the packument).
func Snapshot(adapter, version string) (*upstream.Snapshot, error) {
	a, err := upstream.LookupAdapter(adapter)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	snap, err := (&upstream.Npm{Version: version, CacheDir: filepath.Join(CacheRoot(), "npm")}).Load(ctx, a)
	if err != nil {
		return nil, fmt.Errorf("the benchmarks need %s@%s from the npm registry once: %v", a.Package, version, err)
	}
	return snap, nil
}

// Tarball reads a snapshot's tarball from the cache (named by its sha512
// integrity).
func Tarball(snap *upstream.Snapshot) ([]byte, error) {
	digest, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(snap.Provenance.Integrity, "sha512-"))
	if err != nil {
		return nil, err
	}
	return os.ReadFile(filepath.Join(CacheRoot(), "npm", "sha512-"+hex.EncodeToString(digest)+".tgz"))
}

// Memory is a Source that returns a snapshot already loaded.
type Memory struct{ Snap *upstream.Snapshot }

func (m Memory) Load(context.Context, upstream.Adapter) (*upstream.Snapshot, error) {
	return m.Snap, nil
}

// EsbuildInputs are the files that a build of adapter hands to a compiler or
// passes through as code: upstream's JavaScript and TypeScript and the
// runtime's TypeScript.
func EsbuildInputs(adapter string, snap *upstream.Snapshot) (map[string][]byte, error) {
	in := map[string][]byte{}
	for p, c := range snap.Files {
		if strings.HasSuffix(p, ".js") || strings.HasSuffix(p, ".mjs") || (strings.HasSuffix(p, ".ts") && !strings.HasSuffix(p, ".d.ts")) {
			in[adapter+"/"+p] = c
		}
	}
	rt, err := templates.Files(adapter)
	if err != nil {
		return nil, err
	}
	for p, c := range rt {
		in[adapter+"/templates/"+p] = c
	}
	return in, nil
}

// EsbuildAlone compiles each file on its own with the build's settings, the
// files spread over all cores (as esbuild's own command line does).
func EsbuildAlone(files map[string][]byte) error {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	next := make(chan string)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for name := range next {
				loader := api.LoaderJS
				if path.Ext(name) == ".ts" {
					loader = api.LoaderTS
				}
				res := api.Transform(string(files[name]), api.TransformOptions{
					Loader: loader, Format: api.FormatESModule, Target: assemble.Target,
					Platform: api.PlatformNode, Sourcefile: name, LegalComments: api.LegalCommentsInline,
				})
				if len(res.Errors) > 0 {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("esbuild %s: %s", name, res.Errors[0].Text)
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, n := range names {
		next <- n
	}
	close(next)
	wg.Wait()
	return first
}

// CPU is the CPU time (user and system) of this process and of its children
// that have been waited for.
func CPU() time.Duration {
	var self, kids syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids)
	return time.Duration(self.Utime.Nano() + self.Stime.Nano() + kids.Utime.Nano() + kids.Stime.Nano())
}

// Cost is the wall and CPU time of some runs.
type Cost struct {
	Wall, CPU time.Duration
	Allocs    uint64 // heap objects allocated (this process)
	Bytes     uint64 // heap bytes allocated (this process)
	N         int
}

// Measure runs f once and adds its cost.
func (c *Cost) Measure(f func()) {
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	cpu, start := CPU(), time.Now()
	f()
	c.Wall += time.Since(start)
	c.CPU += CPU() - cpu
	runtime.ReadMemStats(&m1)
	c.Allocs += m1.Mallocs - m0.Mallocs
	c.Bytes += m1.TotalAlloc - m0.TotalAlloc
	c.N++
}

// Metrics are a benchmark's figures: the build's own (ns/op, cpu-ns/op,
// B/op, allocs/op), esbuild alone's, measured interleaved with the build so
// that both see the same machine load, and their ratios.
func Metrics(b, esbuild Cost) map[string]float64 {
	if b.N == 0 || esbuild.N == 0 {
		return nil
	}
	per := func(d time.Duration, n int) float64 { return float64(d.Nanoseconds()) / float64(n) }
	m := map[string]float64{
		"ns/op":             per(b.Wall, b.N),
		"cpu-ns/op":         per(b.CPU, b.N),
		"B/op":              float64(b.Bytes) / float64(b.N),
		"allocs/op":         float64(b.Allocs) / float64(b.N),
		"esbuild-ns/op":     per(esbuild.Wall, esbuild.N),
		"esbuild-cpu-ns/op": per(esbuild.CPU, esbuild.N),
	}
	m["x-esbuild"] = m["ns/op"] / m["esbuild-ns/op"]
	m["x-esbuild-cpu"] = m["cpu-ns/op"] / m["esbuild-cpu-ns/op"]
	return m
}
