package upstream

import (
	"context"
	"os"
	"testing"
)

// Tests against a real checkout or clone of withastro/astro run only when
// ZASTRO_ASTRO_REPO names one (e.g. the astro-upstream submodule), with
// ZASTRO_ASTRO_REF as the tag to read (default @astrojs/node@9.5.0).

func realRepo(tb testing.TB) (string, string) {
	tb.Helper()
	repo := os.Getenv("ZASTRO_ASTRO_REPO")
	if repo == "" {
		tb.Skip("ZASTRO_ASTRO_REPO not set")
	}
	ref := os.Getenv("ZASTRO_ASTRO_REF")
	if ref == "" {
		ref = "@astrojs/node@9.5.0"
	}
	return repo, ref
}

func TestRealUpstream(t *testing.T) {
	repo, ref := realRepo(t)
	snap, err := (&Git{Repo: repo, Ref: ref}).Load(context.Background(), mustAdapter(t, "node"))
	if err != nil {
		t.Fatal(err)
	}
	p := snap.Provenance
	t.Logf("%s: %d files, version %s, astro %s, commit %s, dir %s", ref, len(snap.Files), p.Version, p.AstroVersion, p.Commit, p.Dir)
	for _, name := range []string{"package.json", "src/index.ts", "LICENSE"} {
		if _, ok := snap.Files[name]; !ok {
			t.Errorf("no %s", name)
		}
	}
	if p.AstroVersion == "" {
		t.Error("no astro version")
	}
}

func BenchmarkGitLoadReal(b *testing.B) {
	repo, ref := realRepo(b)
	a := mustAdapterB(b, "node")
	for b.Loop() {
		if _, err := (&Git{Repo: repo, Ref: ref}).Load(context.Background(), a); err != nil {
			b.Fatal(err)
		}
	}
}

func mustAdapterB(b *testing.B, name string) Adapter {
	a, err := LookupAdapter(name)
	if err != nil {
		b.Fatal(err)
	}
	return a
}
