package transform

import (
	"strings"
	"testing"

	sitter "github.com/smacker/go-tree-sitter"
	"github.com/zastro-dev/zastro/transform/engine"
)

// wantMsg is one expected error: its step, a part of its text, and where it
// points (line 0: no location).
type wantMsg struct {
	step string
	text string
	file string
	line int
}

// adapterStrings locates the string values of property key in the objects
// getAdapter returns: a small locator for the engine's own test recipes.
func adapterStrings(key string) func(*engine.Tree) []engine.Match {
	return engine.Nodes(func(t *engine.Tree) []*sitter.Node {
		return engine.PropertyStrings(t, engine.ReturnedBy(t, "getAdapter"), key, nil)
	})
}

func renameTo(v string) func(*engine.Tree, engine.Match) ([]engine.Edit, error) {
	return func(t *engine.Tree, m engine.Match) ([]engine.Edit, error) {
		e, err := engine.ReplaceStringContent(m.Node, v)
		return []engine.Edit{e}, err
	}
}

func testRecipe(steps ...engine.Step) engine.Recipe {
	return engine.Recipe{Adapter: "node", Package: "@astrojs/node", NewPackage: "zastro-websockets-node", Steps: steps}
}

// nodeSteps is the node recipe cut down to the steps that keep returns true
// for: the way to test some steps on a fixture that holds only their files.
func nodeSteps(keep func(name string) bool) engine.Recipe {
	r, _ := RecipeFor("node")
	var steps []engine.Step
	for _, s := range r.Steps {
		if keep(s.Name) {
			steps = append(steps, s)
		}
	}
	r.Steps = steps
	return r
}

// isIdentity keeps the identity steps; named keeps the steps listed.
func isIdentity(name string) bool { return strings.Contains(name, "/identity-") }

func named(names ...string) func(string) bool {
	return func(name string) bool {
		for _, n := range names {
			if n == name {
				return true
			}
		}
		return false
	}
}

func TestApplyErrors(t *testing.T) {
	node, _ := RecipeFor("node")
	identity := nodeSteps(isIdentity) // for fixtures that hold only an index
	for _, tc := range []struct {
		name    string
		fixture string
		version string // "" = the fixture's
		adapter string // "" = "node"
		recipe  engine.Recipe
		want    []wantMsg
	}{
		{
			name: "anchor-renamed", fixture: "errors/anchor-renamed", recipe: identity,
			want: []wantMsg{{"node/identity-server-entrypoint", `node@11.0.0: dist/index.js: step "node/identity-server-entrypoint": expected 1, found 0`, "dist/index.js", 3}},
		},
		{
			name: "too-many", fixture: "errors/too-many", recipe: identity,
			want: []wantMsg{
				{"node/identity-adapter-name", "expected 1, found 2", "src/index.ts", 13},
				{"node/identity-server-entrypoint", "expected 1, found 2", "src/index.ts", 14},
				{"node/identity-preview-entrypoint", "expected 1, found 2", "src/index.ts", 15},
			},
		},
		{
			name: "missing-file", fixture: "errors/missing-file", recipe: node,
			want: []wantMsg{
				{"node/identity-integration-name", "none of its files is in the package: src/index.ts, dist/index.js", "", 0},
				{"node/identity-adapter-name", "none of its files is in the package: src/index.ts, dist/index.js", "", 0},
				{"node/identity-server-entrypoint", "none of its files is in the package", "", 0},
				{"node/identity-preview-entrypoint", "none of its files is in the package", "", 0},
				{"node/identity-specifiers", "none of its files is in the package: src/**/", "", 0},
				{"node/locals-app-handler", "none of its files is in the package: src/serve-app.ts, dist/serve-app.js", "", 0},
				{"node/standalone-upgrade", "none of its files is in the package: src/standalone.ts, dist/standalone.js", "", 0},
				{"node/preview-upgrade", "none of its files is in the package: src/preview.ts, dist/preview.js", "", 0},
				{"node/server-upgrade-handler-exports", "none of its files is in the package: src/server.ts, dist/server.js", "", 0},
				{"node/adapter-exports-upgrade-handler", "none of its files is in the package: src/index.ts, dist/index.js", "", 0},
				{"node/dev-server-hook", "none of its files is in the package: src/index.ts, dist/index.js", "", 0},
			},
		},
		{
			name: "ws-handler-params", fixture: "errors/ws-handler-params", recipe: nodeSteps(named("node/locals-app-handler")),
			want: []wantMsg{{"node/locals-app-handler", `node@9.0.0: src/serve-app.ts: step "node/locals-app-handler": the request handler's parameters are [req res next]: want (req, res, next, locals)`, "src/serve-app.ts", 7}},
		},
		{
			name: "ws-no-server", fixture: "errors/ws-no-server", recipe: nodeSteps(named("node/standalone-upgrade", "node/preview-upgrade")),
			want: []wantMsg{
				{"node/standalone-upgrade", `node@10.0.0: dist/standalone.js: step "node/standalone-upgrade": expected 1, found 0`, "dist/standalone.js", 3},
				{"node/preview-upgrade", `node@10.0.0: dist/preview.js: step "node/preview-upgrade": expected 1, found 0`, "dist/preview.js", 3},
			},
		},
		{
			name: "ws-setup-hook", fixture: "errors/ws-setup-hook", recipe: nodeSteps(named("node/dev-server-hook")),
			want: []wantMsg{{"node/dev-server-hook", `node@11.0.0: src/index.ts: step "node/dev-server-hook": upstream now has its own astro:server:setup hook`, "src/index.ts", 9}},
		},
		{
			name: "ws-handler-not-exported", fixture: "errors/ws-handler-not-exported", recipe: nodeSteps(named("node/server-upgrade-handler")),
			want: []wantMsg{{"node/server-upgrade-handler", `node@10.0.0: dist/server.js: step "node/server-upgrade-handler": handler is declared but not exported`, "dist/server.js", 6}},
		},
		{
			name: "ws-call-args", fixture: "errors/ws-call-args", recipe: nodeSteps(named("node/standalone-upgrade", "node/server-upgrade-handler")),
			want: []wantMsg{
				{"node/standalone-upgrade", `dist/standalone.js: step "node/standalone-upgrade": createServer's first argument is not the request listener: createServer(createStandaloneHandler(app, options), options.host, options.port)`, "dist/standalone.js", 3},
				{"node/server-upgrade-handler", `dist/server.js: step "node/server-upgrade-handler": handler is not made by a call with the options as second argument: handler = createStandaloneHandler(app)`, "dist/server.js", 5},
			},
		},
		{
			name: "ws-exports", fixture: "errors/ws-exports", recipe: nodeSteps(named("node/server-upgrade-handler-exports", "node/adapter-exports-upgrade-handler")),
			want: []wantMsg{
				{"node/server-upgrade-handler-exports", `node@9.0.0: src/server.ts: step "node/server-upgrade-handler-exports": createExports' parameters are [manifest ]: want (manifest, options)`, "src/server.ts", 7},
				{"node/adapter-exports-upgrade-handler", `node@9.0.0: src/index.ts: step "node/adapter-exports-upgrade-handler": expected 1, found 0`, "src/index.ts", 7},
			},
		},
		{
			name: "syntax-error", fixture: "errors/syntax-error", recipe: identity,
			want: []wantMsg{{"", `node@10.0.0: dist/index.js: syntax error: missing ")"`, "dist/index.js", 13}},
		},
		{
			name: "invalid-version", fixture: "node-10", version: "10.x", recipe: node,
			want: []wantMsg{{"", `node@10.x: invalid adapter version "10.x"`, "", 0}},
		},
		{
			name: "wrong-adapter", fixture: "node-10", adapter: "cloudflare", recipe: node,
			want: []wantMsg{{"", `the input is a "cloudflare" adapter but the recipe is for "node"`, "", 0}},
		},
		{
			name: "overlap", fixture: "errors/overlap",
			recipe: testRecipe(
				engine.Step{Name: "test/rename-a", Files: []string{"dist/index.js"}, Want: engine.Exactly(1), Locate: adapterStrings("name"), Edit: renameTo("a")},
				engine.Step{Name: "test/rename-b", Files: []string{"dist/index.js"}, Want: engine.Exactly(1), Locate: adapterStrings("name"), Edit: renameTo("b")},
			),
			want: []wantMsg{{"test/rename-b", `dist/index.js: steps "test/rename-a" and "test/rename-b" edit overlapping ranges`, "dist/index.js", 3}},
		},
		{
			name: "overlap-within-step", fixture: "errors/overlap",
			recipe: testRecipe(engine.Step{
				Name: "test/twice", Files: []string{"dist/index.js"}, Want: engine.Exactly(1), Locate: adapterStrings("name"),
				Edit: func(t *engine.Tree, m engine.Match) ([]engine.Edit, error) {
					n := m.Node
					return []engine.Edit{engine.Replace(n, `"a"`), {Start: n.StartByte() + 1, End: n.EndByte(), Text: "b"}}, nil
				},
			}),
			want: []wantMsg{{"test/twice", `step "test/twice" makes overlapping edits`, "dist/index.js", 3}},
		},
		{
			name: "marker-in-string", fixture: "errors/marker-in-string",
			recipe: testRecipe(engine.Step{
				Name: "test/inside", Files: []string{"dist/index.js"}, Want: engine.Exactly(1), Locate: adapterStrings("name"),
				Edit: func(t *engine.Tree, m engine.Match) ([]engine.Edit, error) {
					n := m.Node
					return []engine.Edit{{Start: n.StartByte() + 1, End: n.StartByte() + 1, Text: "x"}}, nil
				},
			}),
			want: []wantMsg{{"test/inside", "1 of its 1 marker comments are not comments after editing", "dist/index.js", 3}},
		},
		{
			name: "edit-breaks-syntax", fixture: "errors/marker-in-string",
			recipe: testRecipe(engine.Step{
				Name: "test/break", Files: []string{"dist/index.js"}, Want: engine.Exactly(1), Locate: adapterStrings("name"),
				Edit: func(t *engine.Tree, m engine.Match) ([]engine.Edit, error) {
					return []engine.Edit{engine.Replace(m.Node, "(")}, nil
				},
			}),
			want: []wantMsg{{"test/break", `dist/index.js: the edits of step "test/break" leave a syntax error`, "dist/index.js", 0}},
		},
		{
			name: "bad-recipe", fixture: "errors/overlap",
			recipe: testRecipe(
				engine.Step{Name: "test/range", Files: []string{"dist/index.js"}, Versions: ">>1", Want: engine.Exactly(1), Locate: adapterStrings("name"), Edit: renameTo("a")},
				engine.Step{Name: "test/no-edit", Files: []string{"dist/index.js"}, Want: engine.Exactly(1), Locate: adapterStrings("name")},
				engine.Step{Name: "test/count", Files: []string{"dist/*.{js"}, Want: engine.Count{Min: 2, Max: 1}, Locate: adapterStrings("name"), Edit: renameTo("a")},
				engine.Step{Name: "test/count", Files: []string{"dist/index.js"}, Want: engine.Exactly(1), Locate: adapterStrings("name"), Edit: renameTo("a")},
				engine.Step{Name: "test/*/", Files: []string{"dist/index.js"}, Want: engine.Exactly(1), Locate: adapterStrings("name"), Edit: renameTo("a")},
			),
			want: []wantMsg{
				{"test/range", `step "test/range": invalid version range ">>1"`, "", 0},
				{"test/no-edit", `step "test/no-edit" needs both Locate and Edit`, "", 0},
				{"test/count", `step "test/count": invalid match count`, "", 0},
				{"test/count", `file pattern "dist/*.{js": unbalanced {`, "", 0},
				{"test/count", `two steps are named "test/count"`, "", 0},
				{"test/*/", `a name must fit in a marker comment`, "", 0},
			},
		},
		{
			name: "locator-panics", fixture: "errors/overlap",
			recipe: testRecipe(engine.Step{
				Name: "test/panic", Files: []string{"dist/index.js"}, Want: engine.Exactly(1),
				Locate: func(t *engine.Tree) []engine.Match { var m map[string]int; m["x"]++; return nil },
				Edit:   renameTo("a"),
			}),
			want: []wantMsg{{"test/panic", `step "test/panic": locator panicked`, "dist/index.js", 1}},
		},
		{
			name: "edit-fails", fixture: "errors/overlap",
			recipe: testRecipe(engine.Step{
				Name: "test/fails", Files: []string{"dist/index.js"}, Want: engine.Exactly(1), Locate: adapterStrings("serverEntrypoint"),
				Edit: func(t *engine.Tree, m engine.Match) ([]engine.Edit, error) {
					n := m.Node
					_, err := engine.ReplaceStringContent(n.Parent(), "x")
					return nil, err
				},
			}),
			want: []wantMsg{{"test/fails", `step "test/fails": ReplaceStringContent: not a string literal`, "dist/index.js", 4}},
		},
		{
			name: "edit-out-of-range", fixture: "errors/overlap",
			recipe: testRecipe(engine.Step{
				Name: "test/range", Files: []string{"dist/index.js"}, Want: engine.Exactly(1), Locate: adapterStrings("name"),
				Edit: func(t *engine.Tree, m engine.Match) ([]engine.Edit, error) {
					return []engine.Edit{{Start: 5, End: 1 << 20}}, nil
				},
			}),
			want: []wantMsg{{"test/range", "is outside the file", "dist/index.js", 3}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fx := loadFixture(t, tc.fixture)
			in := fx.input("node")
			if tc.version != "" {
				in.Version = tc.version
			}
			if tc.adapter != "" {
				in.Adapter = tc.adapter
			}
			res := engine.Apply(tc.recipe, in)
			if res.Files != nil || res.Changes != nil {
				t.Errorf("on error, Files and Changes must be nil: got %d files, %v", len(res.Files), res.Changes)
			}
			if len(res.Errors) != len(tc.want) {
				t.Fatalf("got %d errors, want %d:\n%s", len(res.Errors), len(tc.want), render(res.Errors))
			}
			for i, w := range tc.want {
				m := res.Errors[i]
				if m.Step != w.step || !strings.Contains(m.Text, w.text) {
					t.Errorf("error %d: got step %q text %q\nwant step %q text containing %q", i, m.Step, m.Text, w.step, w.text)
				}
				switch {
				case w.file == "" && m.Location != nil:
					t.Errorf("error %d: unexpected location %+v", i, *m.Location)
				case w.file != "" && m.Location == nil:
					t.Errorf("error %d: no location, want %s:%d", i, w.file, w.line)
				case w.file != "" && (m.Location.File != w.file || (w.line != 0 && m.Location.Line != w.line)):
					t.Errorf("error %d: points at %s:%d, want %s:%d", i, m.Location.File, m.Location.Line, w.file, w.line)
				}
			}
			golden(t, "errors/"+tc.name+".golden", []byte(render(res.Errors)+"\n"))
		})
	}
}

// TestErrorsAreAllReported: one run reports the problems of every step and
// every file, not only the first.
func TestErrorsAreAllReported(t *testing.T) {
	files := map[string][]byte{
		"dist/index.js": []byte("function getAdapter() { return { name: '@astrojs/node' }; }\nfunction createIntegration() { return {}; }\n"),
	}
	res := engine.Apply(nodeSteps(isIdentity), engine.Input{Adapter: "node", Version: "10.0.0", Files: files})
	var steps []string
	for _, m := range res.Errors {
		steps = append(steps, m.Step)
	}
	want := []string{"node/identity-integration-name", "node/identity-server-entrypoint", "node/identity-preview-entrypoint"}
	if strings.Join(steps, " ") != strings.Join(want, " ") {
		t.Errorf("errors of steps %v, want %v:\n%s", steps, want, render(res.Errors))
	}
	if res.Files != nil {
		t.Error("Files must be nil on error")
	}
	// The integration's returned object exists but lacks name: the error
	// points at that object (line 2), not at the top of the file.
	if l := res.Errors[0].Location; l == nil || l.Line != 2 || l.Column != 38 {
		t.Errorf("integration-name points at %+v, want line 2 column 38", l)
	}
}

func TestVersionsSelectSteps(t *testing.T) {
	fx := loadFixture(t, "errors/overlap")
	recipe := testRecipe(
		engine.Step{Name: "test/old", Files: []string{"dist/index.js"}, Versions: "<10.0.0-0", Want: engine.Exactly(1), Locate: adapterStrings("name"), Edit: renameTo("old")},
		engine.Step{Name: "test/new", Files: []string{"dist/index.js"}, Versions: ">=10.0.0-0", Want: engine.Exactly(1), Locate: adapterStrings("name"), Edit: renameTo("new")},
		engine.Step{Name: "test/final", Files: []string{"dist/index.js"}, Versions: ">=10.0.0", Want: engine.Exactly(1), Locate: adapterStrings("serverEntrypoint"), Edit: renameTo("final")},
		engine.Step{Name: "test/missing-but-old", Files: []string{"dist/nope.js"}, Versions: "^8", Want: engine.Exactly(1), Locate: adapterStrings("name"), Edit: renameTo("x")},
	)
	for _, tc := range []struct {
		version string
		steps   []string
	}{
		{"9.5.5", []string{"test/old"}},
		{"10.0.0-beta.1", []string{"test/new"}},
		{"10.0.0", []string{"test/new", "test/final"}},
		{"11.1.6", []string{"test/new", "test/final"}},
	} {
		res := engine.Apply(recipe, engine.Input{Adapter: "node", Version: tc.version, Files: fx.files})
		if len(res.Errors) > 0 {
			t.Errorf("%s: %s", tc.version, render(res.Errors))
			continue
		}
		var got []string
		for _, c := range res.Changes {
			got = append(got, c.Step)
		}
		if strings.Join(got, " ") != strings.Join(tc.steps, " ") {
			t.Errorf("%s: steps %v ran, want %v", tc.version, got, tc.steps)
		}
	}
	// A step outside the version range may name a file that does not exist.
	res := engine.Apply(recipe, engine.Input{Version: "8.1.0", Files: fx.files})
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Text, `step "test/missing-but-old": none of its files`) {
		t.Errorf("8.1.0: want the missing file of test/missing-but-old, got:\n%s", render(res.Errors))
	}
}

func TestRemainderSkipsEditedNodes(t *testing.T) {
	fx := loadFixture(t, "errors/overlap")
	id := identity{pkg: "@astrojs/node", newPkg: "x"}
	recipe := testRecipe(
		engine.Step{Name: "test/name", Files: []string{"dist/index.js"}, Want: engine.Exactly(1), Locate: adapterStrings("name"), Edit: id.rename},
		id.specifierStep("test"),
	)
	res := engine.Apply(recipe, fx.input("node"))
	if len(res.Errors) > 0 {
		t.Fatal(render(res.Errors))
	}
	want := []engine.Change{{File: "dist/index.js", Step: "test/name", Edits: 1}, {File: "dist/index.js", Step: "test/identity-specifiers", Edits: 1}}
	if len(res.Changes) != 2 || res.Changes[0] != want[0] || res.Changes[1] != want[1] {
		t.Errorf("changes %v, want %v", res.Changes, want)
	}
	// Without Remainder the catch-all would claim the name too and collide.
	catchAll := id.specifierStep("test")
	catchAll.Remainder = false
	res = engine.Apply(testRecipe(recipe.Steps[0], catchAll), fx.input("node"))
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Text, "overlapping") {
		t.Errorf("want one overlap error, got:\n%s", render(res.Errors))
	}
}

// MayMatch spares only files that cannot hold a match: a specifier written
// with escapes is still found, a file that already carries the step's marker
// still stops the step, and a file with neither is not parsed (its syntax
// error goes unnoticed by this step).
func TestMayMatchSparesOnlyFilesWithoutMatches(t *testing.T) {
	id := identity{pkg: "@astrojs/node", newPkg: "x"}
	recipe := testRecipe(id.specifierStep("test"))
	files := map[string][]byte{
		"dist/escaped.js":   []byte(`export const s = "\u0040astrojs/node/server.js";` + "\n"),
		"dist/plain.js":     []byte(`export const p = "@astrojs/node";` + "\n"),
		"dist/unrelated.js": []byte("export const u = (;\n"),
	}
	res := engine.Apply(recipe, engine.Input{Adapter: "node", Version: "11.1.6", Files: files})
	if len(res.Errors) > 0 {
		t.Fatal(render(res.Errors))
	}
	if got := string(res.Files["dist/escaped.js"]); !strings.Contains(got, `x/server.js`) {
		t.Errorf("escaped specifier not renamed:\n%s", got)
	}
	if got := string(res.Files["dist/plain.js"]); !strings.Contains(got, `"x"`) {
		t.Errorf("plain specifier not renamed:\n%s", got)
	}
	// A marker in a file MayMatch would spare: the step already ran.
	files["dist/unrelated.js"] = []byte("export const u = 1; /* zastro:test/identity-specifiers */\n")
	res = engine.Apply(recipe, engine.Input{Adapter: "node", Version: "11.1.6", Files: files})
	if len(res.Errors) > 0 || len(res.Changes) != 0 {
		t.Errorf("a package with the step's marker was changed again: %v %s", res.Changes, render(res.Errors))
	}
}
