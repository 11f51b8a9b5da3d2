package transform

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The fixture generations: hand-written packages shaped like each upstream
// generation, TypeScript (git) and compiled JavaScript (npm).
var generations = []struct {
	dir     string
	adapter string
	changes []Change
}{
	{"node-8", "node", []Change{
		{"dist/index.js", "node/identity-integration-name", 1},
		{"dist/index.js", "node/identity-adapter-name", 1},
		{"dist/index.js", "node/identity-server-entrypoint", 1},
		{"dist/index.js", "node/identity-preview-entrypoint", 1},
		{"dist/index.js", "node/identity-specifiers", 2},             // noExternal and the nested hook's name
		{"dist/serve-app.js", "node/locals-app-handler", 2},          // import, locals line
		{"dist/standalone.js", "node/standalone-upgrade", 2},         // import, attachUpgrade
		{"dist/preview.js", "node/preview-upgrade", 2},               // import, attachUpgrade
		{"dist/server.js", "node/server-upgrade-handler-exports", 3}, // import, wrapper open and close
		{"dist/index.js", "node/adapter-exports-upgrade-handler", 1}, // the exports array
		{"dist/index.js", "node/dev-server-hook", 2},                 // import, hook
	}},
	{"node-9", "node", []Change{
		{"src/index.ts", "node/identity-integration-name", 1},
		{"src/index.ts", "node/identity-adapter-name", 1},
		{"src/index.ts", "node/identity-server-entrypoint", 1},
		{"src/index.ts", "node/identity-preview-entrypoint", 1},
		{"src/index.ts", "node/identity-specifiers", 1},
		{"src/serve-app.ts", "node/locals-app-handler", 2},
		{"src/standalone.ts", "node/standalone-upgrade", 2},
		{"src/preview.ts", "node/preview-upgrade", 2},
		{"src/server.ts", "node/server-upgrade-handler-exports", 3},
		{"src/index.ts", "node/adapter-exports-upgrade-handler", 1}, // a trailing comma in the array
		{"src/index.ts", "node/dev-server-hook", 2},
	}},
	{"node-10", "node", []Change{
		{"dist/index.js", "node/identity-integration-name", 1},
		{"dist/index.js", "node/identity-adapter-name", 1},
		{"dist/index.js", "node/identity-server-entrypoint", 1},
		{"dist/index.js", "node/identity-preview-entrypoint", 1},
		{"dist/vite-plugin-config.js", "node/identity-specifiers", 1},
		{"dist/serve-app.js", "node/locals-app-handler", 2},
		{"dist/standalone.js", "node/standalone-upgrade", 2}, // not the second server in the file
		{"dist/preview.js", "node/preview-upgrade", 2},
		{"dist/server.js", "node/server-upgrade-handler", 3}, // import, declaration, export clause
		{"dist/index.js", "node/dev-server-hook", 2},
	}},
	{"node-11", "node", []Change{
		{"src/index.ts", "node/identity-integration-name", 1},
		{"src/index.ts", "node/identity-adapter-name", 1},
		{"src/index.ts", "node/identity-server-entrypoint", 1},
		{"src/index.ts", "node/identity-preview-entrypoint", 1},
		{"src/shared.ts", "node/identity-specifiers", 1},
		{"src/vite-plugin-config.ts", "node/identity-specifiers", 1},
		{"src/serve-app.ts", "node/locals-app-handler", 2},
		{"src/standalone.ts", "node/standalone-upgrade", 2},
		{"src/preview.ts", "node/preview-upgrade", 2},
		{"src/server.ts", "node/server-upgrade-handler", 2}, // import, `export const upgradeHandler`
		{"src/index.ts", "node/dev-server-hook", 2},
	}},
	{"cloudflare-11", "cloudflare", []Change{ // 10.x and 11.x: the handler is fetch inside createExports
		{"dist/index.js", "cloudflare/identity-integration-name", 1},
		{"dist/index.js", "cloudflare/identity-adapter-name", 1},
		{"dist/index.js", "cloudflare/identity-server-entrypoint", 1},
		{"dist/index.js", "cloudflare/identity-specifiers", 1},           // addMiddleware's entrypoint
		{"dist/entrypoints/server.js", "cloudflare/locals-render", 2},    // import, prepareLocals
		{"dist/entrypoints/server.js", "cloudflare/upgrade-response", 2}, // finishResponse( and )
		{"dist/index.js", "cloudflare/dev-server-hook", 3},               // import, wrapper open and close
	}},
	{"cloudflare-12", "cloudflare", []Change{
		{"dist/index.js", "cloudflare/identity-integration-name", 1},
		{"dist/index.js", "cloudflare/identity-adapter-name", 1},
		{"dist/index.js", "cloudflare/identity-server-entrypoint", 1},
		{"dist/utils/image-config.js", "cloudflare/identity-specifiers", 2},
		{"dist/utils/handler.js", "cloudflare/locals-render", 2},    // not the nested prerenderedErrorPageFetch
		{"dist/utils/handler.js", "cloudflare/upgrade-response", 2}, // only the return after app.render
		{"dist/index.js", "cloudflare/dev-server-hook", 3},
	}},
	{"cloudflare-13", "cloudflare", []Change{ // 13.0.0-beta.5: the first pre-release without serverEntrypoint
		{"src/index.ts", "cloudflare/identity-integration-name", 1},
		{"src/index.ts", "cloudflare/identity-adapter-name", 1},
		{"src/index.ts", "cloudflare/identity-preview-entrypoint", 1},
		{"src/index.ts", "cloudflare/identity-types-reference", 1},
		{"src/index.ts", "cloudflare/identity-specifiers", 1},
		{"src/utils/image-config.ts", "cloudflare/identity-specifiers", 2},
		{"src/utils/handler.ts", "cloudflare/locals-render", 2},
		{"src/utils/handler.ts", "cloudflare/upgrade-response", 2},
		{"src/index.ts", "cloudflare/workerd-dev-hook", 2}, // import, hook: relays upgrades to the worker in workerd
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
			res := Apply(r, fx.input(g.adapter))
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
				if !Parsable(name) || strings.Contains(name, ".d.") {
					continue
				}
				tr, err := Parse(name, out)
				if err != nil {
					t.Errorf("output does not parse: %v", err)
					continue
				}
				for _, n := range StringLiterals(tr, nil, old.refers) {
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
			first := Apply(r, fx.input(g.adapter))
			if len(first.Errors) > 0 {
				t.Fatalf("first run:\n%s", render(first.Errors))
			}
			second := Apply(r, Input{Adapter: g.adapter, Version: fx.version, Files: first.Files})
			if len(second.Errors) > 0 {
				t.Fatalf("second run:\n%s", render(second.Errors))
			}
			if len(second.Changes) != 0 {
				t.Errorf("second run changed %v", second.Changes)
			}
			for name, b := range first.Files {
				if !bytes.Equal(second.Files[name], b) {
					t.Errorf("%s changed on the second run:\n%s", name, UnifiedDiff(name, b, second.Files[name]))
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
			a := &applier{r: r, in: fx.input(g.adapter), trees: map[string]*Tree{}, broken: map[string]bool{}, edits: map[string][]plannedEdit{}}
			res := a.run()
			if len(res.Errors) > 0 {
				t.Fatal(render(res.Errors))
			}
			for name, src := range fx.files {
				out := res.Files[name]
				es := a.sortedEdits(name)
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
					step := r.Steps[e.step].Name
					if e.Start == e.End {
						// Insertions (the WebSocket steps) carry their marker
						// after any leading whitespace.
						if !strings.HasPrefix(strings.TrimLeft(e.Text, " \t\r\n"), Marker(step)+" ") {
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
					if !strings.HasPrefix(e.Text, Marker(step)+" ") {
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

func render(msgs []Message) string {
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
		res := Apply(node, Input{Adapter: "node", Version: tc.version, Files: fx.files})
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
