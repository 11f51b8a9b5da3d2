package assemble_test

// Build benchmarks on real upstream tarballs (fetched once into the zastro
// cache, then read from it):
//
//	go test -run '^$' -bench . ./assemble/
//
// BenchmarkBuild and BenchmarkBuildBoth report, beside the build's own time
// (ns/op, cpu-ns/op), esbuild alone compiling the same files, measured
// interleaved with the build (esbuild-ns/op, esbuild-cpu-ns/op), and the
// ratios (x-esbuild, x-esbuild-cpu). BenchmarkStages times each stage on its
// own. Figures, never assertions.

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/zastro-dev/zastro/assemble"
	"github.com/zastro-dev/zastro/internal/benchkit"
	"github.com/zastro-dev/zastro/pack"
	"github.com/zastro-dev/zastro/transform"
	"github.com/zastro-dev/zastro/transform/engine"
	"github.com/zastro-dev/zastro/upstream"
	"github.com/zastro-dev/zastro/verify"
)

// benchBuilds: the newest release of each @astrojs/node generation that the
// figures follow, and the newest cloudflare.
var benchBuilds = []struct{ adapter, version string }{
	{"node", "11.1.6"},
	{"node", "8.3.4"},
	{"cloudflare", "14.3.3"},
}

func snapshot(b *testing.B, adapter, version string) *upstream.Snapshot {
	b.Helper()
	snap, err := benchkit.Snapshot(adapter, version)
	if err != nil {
		b.Fatal(err)
	}
	return snap
}

func inputs(b *testing.B, adapter string, snap *upstream.Snapshot) map[string][]byte {
	b.Helper()
	in, err := benchkit.EsbuildInputs(adapter, snap)
	if err != nil {
		b.Fatal(err)
	}
	return in
}

// interleave runs build and esbuild alone on the same files in turn, b.N
// times each, and reports both.
func interleave(b *testing.B, in map[string][]byte, run func()) {
	var own, alone benchkit.Cost
	for i := 0; i < b.N; i++ {
		own.Measure(run)
		alone.Measure(func() {
			if err := benchkit.EsbuildAlone(in); err != nil {
				b.Fatal(err)
			}
		})
	}
	for unit, v := range benchkit.Metrics(own, alone) {
		b.ReportMetric(v, unit)
	}
	b.ReportMetric(float64(len(in)), "files")
}

// BenchmarkBuild is a full build of one adapter from a snapshot already in
// memory: recipe, runtime, package.json, contract check (nothing written).
func BenchmarkBuild(b *testing.B) {
	for _, v := range benchBuilds {
		b.Run(v.adapter+"@"+v.version, func(b *testing.B) {
			snap := snapshot(b, v.adapter, v.version)
			in := inputs(b, v.adapter, snap)
			interleave(b, in, func() {
				res := assemble.Assemble(context.Background(), assemble.Options{Adapter: v.adapter, Source: benchkit.Memory{Snap: snap}})
				if res.Failed() {
					b.Fatal(res.Errors[0].String())
				}
			})
		})
	}
}

// BenchmarkBuildBoth is what `zastro build` does for both adapters once their
// snapshots are loaded: both built at once (assemble.RunEach) and checked
// (written: see BenchmarkStages/write and cmd/zastro's BenchmarkCLIBuild).
func BenchmarkBuildBoth(b *testing.B) {
	var opts []assemble.Options
	in := map[string][]byte{}
	for _, adapter := range []string{"node", "cloudflare"} {
		snap := snapshot(b, adapter, benchkit.Newest[adapter])
		for p, c := range inputs(b, adapter, snap) {
			in[p] = c
		}
		opts = append(opts, assemble.Options{Adapter: adapter, Source: benchkit.Memory{Snap: snap}})
	}
	interleave(b, in, func() {
		for _, res := range assemble.RunEach(context.Background(), opts) {
			if res.Failed() {
				b.Fatal(res.Errors[0].String())
			}
		}
	})
}

// BenchmarkStages times each stage of a build of the newest node adapter.
func BenchmarkStages(b *testing.B) {
	snap := snapshot(b, "node", benchkit.Newest["node"])
	recipe, err := transform.RecipeFor("node")
	if err != nil {
		b.Fatal(err)
	}
	full := assemble.Assemble(context.Background(), assemble.Options{Adapter: "node", Source: benchkit.Memory{Snap: snap}})
	if full.Failed() {
		b.Fatal(full.Errors[0].String())
	}

	b.Run("extract", func(b *testing.B) {
		tgz, err := benchkit.Tarball(snap)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(tgz)))
		defer reportCPU(b)()
		for b.Loop() {
			if _, err := upstream.ExtractTarball(bytes.NewReader(tgz)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("transform", func(b *testing.B) {
		in := engine.Input{Adapter: "node", Version: snap.Provenance.Version, Files: snap.Files}
		defer reportCPU(b)()
		for b.Loop() {
			if res := engine.Apply(recipe, in); len(res.Errors) > 0 {
				b.Fatal(res.Errors[0].String())
			}
		}
	})
	b.Run("runtime-compile-cold", func(b *testing.B) {
		defer reportCPU(b)()
		for b.Loop() {
			if err := assemble.CompileRuntimeCold("node"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("assemble-without-verify", func(b *testing.B) {
		defer reportCPU(b)()
		for b.Loop() {
			if res := assemble.Assemble(context.Background(), assemble.Options{Adapter: "node", Source: benchkit.Memory{Snap: snap}, NoVerify: true}); res.Failed() {
				b.Fatal(res.Errors[0].String())
			}
		}
	})
	b.Run("verify", func(b *testing.B) {
		defer reportCPU(b)()
		for b.Loop() {
			if probs := verify.Package("node", full.Files); len(probs) > 0 {
				b.Fatal(probs[0].String())
			}
		}
	})
	b.Run("write", func(b *testing.B) {
		dir := b.TempDir()
		defer reportCPU(b)()
		for b.Loop() {
			if err := assemble.WriteDir(filepath.Join(dir, "node"), full.Files); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pack", func(b *testing.B) {
		defer reportCPU(b)()
		for b.Loop() {
			if _, err := pack.Tarball(full.Files); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// reportCPU starts counting the process's CPU time; the function it returns
// reports it per iteration as cpu-ns/op.
func reportCPU(b *testing.B) func() {
	start := benchkit.CPU()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64((benchkit.CPU()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
		}
	}
}
