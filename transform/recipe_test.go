package transform

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/zastro-dev/zastro/transform/engine"
)

// The fixture generations: hand-written packages shaped like each upstream
// generation, TypeScript (git) and compiled JavaScript (npm).
var generations = []struct {
	dir     string
	adapter string
	changes []engine.Change
}{
	{"node-8", "node", []engine.Change{
		{File: "dist/index.js", Step: "node/identity-integration-name", Edits: 1},
		{File: "dist/index.js", Step: "node/identity-adapter-name", Edits: 1},
		{File: "dist/index.js", Step: "node/identity-server-entrypoint", Edits: 1},
		{File: "dist/index.js", Step: "node/identity-preview-entrypoint", Edits: 1},
		{File: "dist/index.js", Step: "node/identity-specifiers", Edits: 2},             // noExternal and the nested hook's name
		{File: "dist/serve-app.js", Step: "node/locals-app-handler", Edits: 2},          // import, locals line
		{File: "dist/standalone.js", Step: "node/standalone-upgrade", Edits: 2},         // import, attachUpgrade
		{File: "dist/preview.js", Step: "node/preview-upgrade", Edits: 2},               // import, attachUpgrade
		{File: "dist/server.js", Step: "node/server-upgrade-handler-exports", Edits: 3}, // import, wrapper open and close
		{File: "dist/index.js", Step: "node/adapter-exports-upgrade-handler", Edits: 1}, // the exports array
		{File: "dist/index.js", Step: "node/dev-server-hook", Edits: 2},                 // import, hook
	}},
	{"node-9", "node", []engine.Change{
		{File: "src/index.ts", Step: "node/identity-integration-name", Edits: 1},
		{File: "src/index.ts", Step: "node/identity-adapter-name", Edits: 1},
		{File: "src/index.ts", Step: "node/identity-server-entrypoint", Edits: 1},
		{File: "src/index.ts", Step: "node/identity-preview-entrypoint", Edits: 1},
		{File: "src/index.ts", Step: "node/identity-specifiers", Edits: 1},
		{File: "src/serve-app.ts", Step: "node/locals-app-handler", Edits: 2},
		{File: "src/standalone.ts", Step: "node/standalone-upgrade", Edits: 2},
		{File: "src/preview.ts", Step: "node/preview-upgrade", Edits: 2},
		{File: "src/server.ts", Step: "node/server-upgrade-handler-exports", Edits: 3},
		{File: "src/index.ts", Step: "node/adapter-exports-upgrade-handler", Edits: 1}, // a trailing comma in the array
		{File: "src/index.ts", Step: "node/dev-server-hook", Edits: 2},
	}},
	{"node-10", "node", []engine.Change{
		{File: "dist/index.js", Step: "node/identity-integration-name", Edits: 1},
		{File: "dist/index.js", Step: "node/identity-adapter-name", Edits: 1},
		{File: "dist/index.js", Step: "node/identity-server-entrypoint", Edits: 1},
		{File: "dist/index.js", Step: "node/identity-preview-entrypoint", Edits: 1},
		{File: "dist/vite-plugin-config.js", Step: "node/identity-specifiers", Edits: 1},
		{File: "dist/serve-app.js", Step: "node/locals-app-handler", Edits: 2},
		{File: "dist/standalone.js", Step: "node/standalone-upgrade", Edits: 2}, // not the second server in the file
		{File: "dist/preview.js", Step: "node/preview-upgrade", Edits: 2},
		{File: "dist/server.js", Step: "node/server-upgrade-handler", Edits: 3}, // import, declaration, export clause
		{File: "dist/index.js", Step: "node/dev-server-hook", Edits: 2},
	}},
	{"node-11", "node", []engine.Change{
		{File: "src/index.ts", Step: "node/identity-integration-name", Edits: 1},
		{File: "src/index.ts", Step: "node/identity-adapter-name", Edits: 1},
		{File: "src/index.ts", Step: "node/identity-server-entrypoint", Edits: 1},
		{File: "src/index.ts", Step: "node/identity-preview-entrypoint", Edits: 1},
		{File: "src/shared.ts", Step: "node/identity-specifiers", Edits: 1},
		{File: "src/vite-plugin-config.ts", Step: "node/identity-specifiers", Edits: 1},
		{File: "src/serve-app.ts", Step: "node/locals-app-handler", Edits: 2},
		{File: "src/standalone.ts", Step: "node/standalone-upgrade", Edits: 2},
		{File: "src/preview.ts", Step: "node/preview-upgrade", Edits: 2},
		{File: "src/server.ts", Step: "node/server-upgrade-handler", Edits: 2}, // import, `export const upgradeHandler`
		{File: "src/index.ts", Step: "node/dev-server-hook", Edits: 2},
	}},
	{"cloudflare-11", "cloudflare", []engine.Change{ // 10.x and 11.x: the handler is fetch inside createExports
		{File: "dist/index.js", Step: "cloudflare/identity-integration-name", Edits: 1},
		{File: "dist/index.js", Step: "cloudflare/identity-adapter-name", Edits: 1},
		{File: "dist/index.js", Step: "cloudflare/identity-server-entrypoint", Edits: 1},
		{File: "dist/index.js", Step: "cloudflare/identity-specifiers", Edits: 1},           // addMiddleware's entrypoint
		{File: "dist/entrypoints/server.js", Step: "cloudflare/locals-render", Edits: 2},    // import, prepareLocals
		{File: "dist/entrypoints/server.js", Step: "cloudflare/upgrade-response", Edits: 2}, // finishResponse( and )
		{File: "dist/index.js", Step: "cloudflare/dev-server-hook", Edits: 3},               // import, wrapper open and close
	}},
	{"cloudflare-12", "cloudflare", []engine.Change{
		{File: "dist/index.js", Step: "cloudflare/identity-integration-name", Edits: 1},
		{File: "dist/index.js", Step: "cloudflare/identity-adapter-name", Edits: 1},
		{File: "dist/index.js", Step: "cloudflare/identity-server-entrypoint", Edits: 1},
		{File: "dist/utils/image-config.js", Step: "cloudflare/identity-specifiers", Edits: 2},
		{File: "dist/utils/handler.js", Step: "cloudflare/locals-render", Edits: 2},    // not the nested prerenderedErrorPageFetch
		{File: "dist/utils/handler.js", Step: "cloudflare/upgrade-response", Edits: 2}, // only the return after app.render
		{File: "dist/index.js", Step: "cloudflare/dev-server-hook", Edits: 3},
	}},
	{"cloudflare-13", "cloudflare", []engine.Change{ // 13.0.0-beta.5: the first pre-release without serverEntrypoint
		{File: "src/index.ts", Step: "cloudflare/identity-integration-name", Edits: 1},
		{File: "src/index.ts", Step: "cloudflare/identity-adapter-name", Edits: 1},
		{File: "src/index.ts", Step: "cloudflare/identity-preview-entrypoint", Edits: 1},
		{File: "src/index.ts", Step: "cloudflare/identity-types-reference", Edits: 1},
		{File: "src/index.ts", Step: "cloudflare/identity-specifiers", Edits: 1},
		{File: "src/utils/image-config.ts", Step: "cloudflare/identity-specifiers", Edits: 2},
		{File: "src/utils/handler.ts", Step: "cloudflare/locals-render", Edits: 2},
		{File: "src/utils/handler.ts", Step: "cloudflare/upgrade-response", Edits: 2},
		{File: "src/index.ts", Step: "cloudflare/workerd-dev-hook", Edits: 2}, // import, hook: relays upgrades to the worker in workerd
	}},
}

func TestRecipeGolden(t *testing.T) {
	for _, g := range generations {
		t.Run(g.dir, func(t *testing.T) {
			fx := loadFixture(t, g.dir)
			r, err := RecipeFor(g.adapter)
			if err != nil {
				t.Fatal(err)
			}
			res := engine.Apply(r, fx.input(g.adapter))
			if len(res.Errors) > 0 {
				t.Fatalf("unexpected errors:\n%s", render(res.Errors))
			}
			if !reflect.DeepEqual(res.Changes, g.changes) {
				t.Errorf("changes:\n got %v\nwant %v", res.Changes, g.changes)
			}
			if len(res.Files) != len(fx.files) {
				t.Errorf("got %d files, want %d", len(res.Files), len(fx.files))
			}
			old := identity{pkg: r.Package, newPkg: r.NewPackage}
			for name, src := range fx.files {
				out, ok := res.Files[name]
				if !ok {
					t.Errorf("%s: missing from the result", name)
					continue
				}
				goldenPath := filepath.Join(g.dir, name+".golden")
				if bytes.Equal(out, src) {
					// An unchanged file has no golden; a stale one is an error.
					if _, err := os.Stat(filepath.Join("testdata", goldenPath)); err == nil {
						if *update {
							os.Remove(filepath.Join("testdata", goldenPath))
						} else {
							t.Errorf("%s is unchanged but has a golden file", name)
						}
					}
					continue
				}
				golden(t, goldenPath, out)
			}
			// Every source file still parses, and none refers to the old package.
			for name, out := range res.Files {
				if !engine.Parsable(name) || strings.Contains(name, ".d.") {
					continue
				}
				tr, err := engine.Parse(name, out)
				if err != nil {
					t.Errorf("output does not parse: %v", err)
					continue
				}
				for _, n := range engine.StringLiterals(tr, nil, old.refers) {
					l := tr.Location(n)
					t.Errorf("%s:%d:%d: %s still refers to %s", name, l.Line, l.Column, tr.Text(n), r.Package)
				}
			}
		})
	}
}

func TestApplyIsIdempotent(t *testing.T) {
	for _, g := range generations {
		t.Run(g.dir, func(t *testing.T) {
			fx := loadFixture(t, g.dir)
			r, _ := RecipeFor(g.adapter)
			first := engine.Apply(r, fx.input(g.adapter))
			if len(first.Errors) > 0 {
				t.Fatalf("first run:\n%s", render(first.Errors))
			}
			second := engine.Apply(r, engine.Input{Adapter: g.adapter, Version: fx.version, Files: first.Files})
			if len(second.Errors) > 0 {
				t.Fatalf("second run:\n%s", render(second.Errors))
			}
			if len(second.Changes) != 0 {
				t.Errorf("second run changed %v", second.Changes)
			}
			for name, b := range first.Files {
				if !bytes.Equal(second.Files[name], b) {
					t.Errorf("%s changed on the second run:\n%s", name, engine.UnifiedDiff(name, b, second.Files[name]))
				}
			}
		})
	}
}

// TestUntouchedBytes replays the planned edits front to back, independently
// of the engine's back-to-front splice, and checks that every byte outside
// an edit is where it should be in the output.
func TestUntouchedBytes(t *testing.T) {
	for _, g := range generations {
		t.Run(g.dir, func(t *testing.T) {
			fx := loadFixture(t, g.dir)
			r, _ := RecipeFor(g.adapter)
			res := engine.Apply(r, fx.input(g.adapter))
			if len(res.Errors) > 0 {
				t.Fatal(render(res.Errors))
			}
			for name, src := range fx.files {
				out := res.Files[name]
				es := res.Edits[name]
				if len(es) == 0 {
					if !bytes.Equal(out, src) {
						t.Errorf("%s: changed without edits", name)
					}
					continue
				}
				i, j := 0, 0
				for _, e := range es {
					n := int(e.Start) - i
					if !bytes.Equal(src[i:e.Start], out[j:j+n]) {
						t.Fatalf("%s: bytes %d..%d changed", name, i, e.Start)
					}
					j += n
					if got := string(out[j : j+len(e.Text)]); got != e.Text {
						t.Fatalf("%s: at %d got %q, want the edit %q", name, j, got, e.Text)
					}
					j += len(e.Text)
					i = int(e.End)
					step := e.Step
					if e.Start == e.End {
						// Insertions (the WebSocket steps) carry their marker
						// after any leading whitespace.
						if !strings.HasPrefix(strings.TrimLeft(e.Text, " \t\r\n"), engine.Marker(step)+" ") {
							t.Errorf("%s: insertion %q does not start with its marker", name, e.Text)
						}
						continue
					}
					// Replacements are the identity steps': whole string
					// literals, quotes included.
					if !strings.Contains(step, "/identity-") {
						t.Errorf("%s: step %s replaces %q: only identity steps replace code", name, step, src[e.Start:e.End])
					}
					orig := src[e.Start:e.End]
					q := orig[0]
					if !strings.ContainsRune("'\"`", rune(q)) || orig[len(orig)-1] != q || e.Text[len(e.Text)-1] != q {
						t.Errorf("%s: edit %q -> %q is not a string literal replacement in the same quotes", name, orig, e.Text)
					}
					if !strings.HasPrefix(e.Text, engine.Marker(step)+" ") {
						t.Errorf("%s: edit %q does not start with its marker", name, e.Text)
					}
				}
				if !bytes.Equal(src[i:], out[j:]) {
					t.Errorf("%s: the tail after the last edit changed", name)
				}
			}
		})
	}
}

func TestRecipeFor(t *testing.T) {
	for _, tc := range []struct {
		adapter, pkg, newPkg string
		wantErr              bool
	}{
		{"node", "@astrojs/node", "zastro-websockets-node", false},
		{"cloudflare", "@astrojs/cloudflare", "zastro-websockets-cloudflare", false},
		{"deno", "", "", true},
		{"", "", "", true},
	} {
		r, err := RecipeFor(tc.adapter)
		if (err != nil) != tc.wantErr {
			t.Errorf("RecipeFor(%q): err = %v", tc.adapter, err)
			continue
		}
		if err != nil {
			if !strings.Contains(err.Error(), "node, cloudflare") {
				t.Errorf("RecipeFor(%q): error %q does not list the known adapters", tc.adapter, err)
			}
			continue
		}
		if r.Adapter != tc.adapter || r.Package != tc.pkg || r.NewPackage != tc.newPkg || len(r.Steps) == 0 {
			t.Errorf("RecipeFor(%q) = %+v", tc.adapter, r)
		}
		for _, s := range r.Steps {
			if !strings.HasPrefix(s.Name, tc.adapter+"/") || s.Doc == "" {
				t.Errorf("step %q: name must start with %q and have a Doc", s.Name, tc.adapter+"/")
			}
		}
	}
}

func render(msgs []engine.Message) string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.String())
	}
	return strings.Join(out, "\n")
}

// TestNodeServerEntryBoundary: 10.0.0 pre-releases up to beta.4 still have
// createExports() and getAdapter's exports array; beta.5 moved handler to
// module level. Each shape runs under its own steps on both sides.
func TestNodeServerEntryBoundary(t *testing.T) {
	node, _ := RecipeFor("node")
	for _, tc := range []struct {
		fixture, version string
		serverStep       string // "" when the run must fail
	}{
		{"node-8", "10.0.0-alpha.2", "node/server-upgrade-handler-exports"},
		{"node-8", "10.0.0-beta.4", "node/server-upgrade-handler-exports"},
		{"node-8", "10.0.0-beta.5", ""},
		{"node-10", "10.0.0-beta.4", ""},
		{"node-10", "10.0.0-beta.5", "node/server-upgrade-handler"},
		{"node-10", "10.0.0", "node/server-upgrade-handler"},
	} {
		fx := loadFixture(t, tc.fixture)
		res := engine.Apply(node, engine.Input{Adapter: "node", Version: tc.version, Files: fx.files})
		if tc.serverStep == "" {
			if len(res.Errors) == 0 {
				t.Errorf("%s as %s: the other shape's steps must refuse it", tc.fixture, tc.version)
			}
			continue
		}
		if len(res.Errors) > 0 {
			t.Errorf("%s as %s:\n%s", tc.fixture, tc.version, render(res.Errors))
			continue
		}
		ran := false
		for _, c := range res.Changes {
			ran = ran || (c.Step == tc.serverStep && c.File == "dist/server.js")
		}
		if !ran {
			t.Errorf("%s as %s: %s did not edit dist/server.js: %v", tc.fixture, tc.version, tc.serverStep, res.Changes)
		}
	}
}
