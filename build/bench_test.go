package build_test

// Build-stage benchmarks on real upstream tarballs (fetched once into the
// zastro cache, then read from it):
//
//	go test -run '^$' -bench . -benchmem ./build/
//
// BenchmarkBuild is a full build from a cached snapshot (recipe, runtime,
// esbuild, package.json, contract check) and reports, beside its own time,
// esbuild alone on the same files and the ratio of the two ("x-esbuild").
// BenchmarkStages times each stage on its own. Figures, never assertions.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evanw/esbuild/pkg/api"
	"github.com/zastro-dev/zastro/build"
	"github.com/zastro-dev/zastro/pack"
	"github.com/zastro-dev/zastro/templates"
	"github.com/zastro-dev/zastro/transform"
	"github.com/zastro-dev/zastro/upstream"
	"github.com/zastro-dev/zastro/verify"
)

// benchVersions are the newest release of each @astrojs/node generation.
var benchVersions = []string{"11.1.6", "8.3.4"}

// benchCache is the CLI's npm cache, so that benchmarks download a tarball
// once per machine.
func benchCache() string {
	if d := os.Getenv("ZASTRO_CACHE"); d != "" {
		return filepath.Join(d, "npm")
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "zastro", "npm")
	}
	return filepath.Join(os.TempDir(), "zastro-cache", "npm")
}

// cachedSnapshot loads a real adapter version from the registry, or from the
// cache after the first time.
func cachedSnapshot(b *testing.B, version string) *upstream.Snapshot {
	b.Helper()
	a, err := upstream.LookupAdapter("node")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	snap, err := (&upstream.Npm{Version: version, CacheDir: benchCache()}).Load(ctx, a)
	if err != nil {
		b.Fatalf("the benchmarks need @astrojs/node@%s from the npm registry once: %v", version, err)
	}
	return snap
}

// memory is a Source that returns a snapshot already loaded.
type memory struct{ snap *upstream.Snapshot }

func (m memory) Load(context.Context, upstream.Adapter) (*upstream.Snapshot, error) {
	return m.snap, nil
}

// esbuildInputs are the files that a build hands to a compiler or passes
// through as code: upstream's JavaScript and the runtime's TypeScript.
func esbuildInputs(b *testing.B, snap *upstream.Snapshot) map[string][]byte {
	b.Helper()
	in := map[string][]byte{}
	for p, c := range snap.Files {
		if strings.HasSuffix(p, ".js") || strings.HasSuffix(p, ".mjs") || (strings.HasSuffix(p, ".ts") && !strings.HasSuffix(p, ".d.ts")) {
			in[p] = c
		}
	}
	rt, err := templates.Files("node")
	if err != nil {
		b.Fatal(err)
	}
	for p, c := range rt {
		in["templates/"+p] = c
	}
	return in
}

// esbuildAlone compiles each file on its own, with the build's settings.
func esbuildAlone(b *testing.B, files map[string][]byte) {
	for name, src := range files {
		loader := api.LoaderJS
		if path.Ext(name) == ".ts" {
			loader = api.LoaderTS
		}
		res := api.Transform(string(src), api.TransformOptions{
			Loader: loader, Format: api.FormatESModule, Target: build.Target,
			Platform: api.PlatformNode, Sourcefile: name, LegalComments: api.LegalCommentsInline,
		})
		if len(res.Errors) > 0 {
			b.Fatalf("esbuild %s: %s", name, res.Errors[0].Text)
		}
	}
}

func BenchmarkBuild(b *testing.B) {
	for _, v := range benchVersions {
		b.Run("node@"+v, func(b *testing.B) {
			snap := cachedSnapshot(b, v)
			inputs := esbuildInputs(b, snap)
			alone := esbuildBaseline(b, v, inputs)
			b.ResetTimer()
			for b.Loop() {
				res := build.Assemble(context.Background(), build.Options{Adapter: "node", Source: memory{snap}})
				if res.Failed() {
					b.Fatal(res.Errors[0].String())
				}
			}
			full := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(alone, "esbuild-ns/op")
			b.ReportMetric(full/alone, "x-esbuild")
			b.ReportMetric(float64(len(inputs)), "files")
		})
	}
}

// baselines caches esbuildBaseline per version: the testing package calls a
// benchmark's body several times while it sizes b.N.
var baselines = map[string]float64{}

// esbuildBaseline measures esbuild alone on inputs, in ns per pass over all
// files, for about half a second. (testing.Benchmark cannot run inside a
// benchmark: both take the testing package's benchmark lock.)
func esbuildBaseline(b *testing.B, key string, inputs map[string][]byte) float64 {
	if ns, ok := baselines[key]; ok {
		return ns
	}
	esbuildAlone(b, inputs) // warm up
	n := 0
	start := time.Now()
	for n < 5 || time.Since(start) < 500*time.Millisecond {
		esbuildAlone(b, inputs)
		n++
	}
	ns := float64(time.Since(start).Nanoseconds()) / float64(n)
	baselines[key] = ns
	return ns
}

func BenchmarkEsbuildAlone(b *testing.B) {
	for _, v := range benchVersions {
		b.Run("node@"+v, func(b *testing.B) {
			inputs := esbuildInputs(b, cachedSnapshot(b, v))
			b.ResetTimer()
			for b.Loop() {
				esbuildAlone(b, inputs)
			}
			b.ReportMetric(float64(len(inputs)), "files")
		})
	}
}

// BenchmarkStages times each stage of a build of the newest version.
func BenchmarkStages(b *testing.B) {
	snap := cachedSnapshot(b, benchVersions[0])
	recipe, err := transform.RecipeFor("node")
	if err != nil {
		b.Fatal(err)
	}
	full := build.Assemble(context.Background(), build.Options{Adapter: "node", Source: memory{snap}})
	if full.Failed() {
		b.Fatal(full.Errors[0].String())
	}

	b.Run("extract", func(b *testing.B) {
		tgz := cachedTarball(b, snap)
		b.SetBytes(int64(len(tgz)))
		for b.Loop() {
			if _, err := upstream.ExtractTarball(bytes.NewReader(tgz)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("transform", func(b *testing.B) {
		in := transform.Input{Adapter: "node", Version: snap.Provenance.Version, Files: snap.Files}
		for b.Loop() {
			if res := transform.Apply(recipe, in); len(res.Errors) > 0 {
				b.Fatal(res.Errors[0].String())
			}
		}
	})
	b.Run("assemble-without-verify", func(b *testing.B) {
		for b.Loop() {
			if res := build.Assemble(context.Background(), build.Options{Adapter: "node", Source: memory{snap}, NoVerify: true}); res.Failed() {
				b.Fatal(res.Errors[0].String())
			}
		}
	})
	b.Run("verify", func(b *testing.B) {
		for b.Loop() {
			if probs := verify.Package("node", full.Files); len(probs) > 0 {
				b.Fatal(probs[0].String())
			}
		}
	})
	b.Run("write", func(b *testing.B) {
		dir := b.TempDir()
		for b.Loop() {
			if err := build.WriteDir(filepath.Join(dir, "node"), full.Files); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pack", func(b *testing.B) {
		for b.Loop() {
			if _, err := pack.Tarball(full.Files); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// cachedTarball reads the snapshot's tarball from the cache (named by its
// sha512 integrity).
func cachedTarball(b *testing.B, snap *upstream.Snapshot) []byte {
	b.Helper()
	digest, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(snap.Provenance.Integrity, "sha512-"))
	if err != nil {
		b.Fatal(err)
	}
	tgz, err := os.ReadFile(filepath.Join(benchCache(), "sha512-"+hex.EncodeToString(digest)+".tgz"))
	if err != nil {
		b.Fatal(err)
	}
	return tgz
}
