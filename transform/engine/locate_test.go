package engine

import (
	"errors"
	"strings"
	"testing"

	sitter "github.com/smacker/go-tree-sitter"
)

func mustParse(t *testing.T, path, src string) *Tree {
	t.Helper()
	tr, err := Parse(path, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func texts(t *Tree, nodes []*sitter.Node) []string {
	var out []string
	for _, n := range nodes {
		out = append(out, t.Text(n))
	}
	return out
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		path, src string
		err       string // "" = parses
		line, col int
	}{
		{"a.ts", "export const x: number = 1;\n", "", 0, 0},
		{"a.d.ts", "export declare function f(a: string): void;\n", "", 0, 0},
		{"a.mts", "export type T = { a: 1 };\n", "", 0, 0},
		{"a.js", "export default function () { return import('x'); }\n", "", 0, 0},
		{"a.mjs", "#!/usr/bin/env node\nconsole.log(`${1}`);\n", "", 0, 0},
		{"a.cjs", "module.exports = { a: /re/g };\n", "", 0, 0},
		{"a.json", "{}", "not a TypeScript or JavaScript file", 0, 0},
		{"a.tsx", "x", "not a TypeScript or JavaScript file", 0, 0},
		{"a.js", "const a = {\n  b: 1,\n  c: = 2,\n};\n", "syntax error", 3, 5},
		{"a.ts", "function f( {\n", "syntax error", 1, 0},
	} {
		tr, err := Parse(tc.path, []byte(tc.src))
		if tc.err == "" {
			if err != nil || tr == nil || tr.Root.Type() != "program" {
				t.Errorf("Parse(%s, %q): %v", tc.path, tc.src, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("Parse(%s, %q): err = %v, want %q", tc.path, tc.src, err, tc.err)
			continue
		}
		if tr != nil {
			t.Errorf("Parse(%s): a tree with an error", tc.path)
		}
		var se *SyntaxError
		if tc.line > 0 {
			if !errors.As(err, &se) {
				t.Errorf("Parse(%s, %q): %T is not a *SyntaxError", tc.path, tc.src, err)
			} else if se.Location.Line != tc.line || se.Location.Column != tc.col || se.Location.File != tc.path {
				t.Errorf("Parse(%q): error at %s:%d:%d, want %s:%d:%d", tc.src, se.Location.File, se.Location.Line, se.Location.Column, tc.path, tc.line, tc.col)
			}
		}
	}
}

func TestFunctionNamed(t *testing.T) {
	tr := mustParse(t, "a.ts", `
export function getAdapter() {}
export default function createIntegration() {}
function* gen() {}
const arrow = async (x: number) => x;
let expr = function () {};
const wrapped = (() => 1) as () => number;
const notFn = 1;
class C { getAdapter() {} }
function outer() { function getAdapter() {} }
`)
	for _, tc := range []struct {
		name string
		want []string // node types
	}{
		{"getAdapter", []string{"function_declaration", "function_declaration"}},
		{"createIntegration", []string{"function_declaration"}},
		{"gen", []string{"generator_function_declaration"}},
		{"arrow", []string{"arrow_function"}},
		{"expr", []string{"function_expression"}},
		{"wrapped", []string{"arrow_function"}},
		{"notFn", nil},
		{"C", nil},
		{"missing", nil},
	} {
		var got []string
		for _, n := range FunctionNamed(tr, tc.name) {
			got = append(got, n.Type())
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("FunctionNamed(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestReturnedObjects(t *testing.T) {
	tr := mustParse(t, "a.ts", `
function a(x) {
  if (x) return ({ first: 1 });
  const inner = () => { return { nested: 1 }; };
  function deeper() { return { nested: 2 }; }
  class K { m() { return { nested: 3 }; } }
  return { second: 2 } satisfies object;
}
const b = () => ({ arrow: 1 });
const c = () => value;
function d() { return value; }
`)
	for _, tc := range []struct {
		fn   string
		want []string
	}{
		{"a", []string{"{ first: 1 }", "{ second: 2 }"}},
		{"b", []string{"{ arrow: 1 }"}},
		{"c", nil},
		{"d", nil},
	} {
		got := texts(tr, Each(FunctionNamed(tr, tc.fn), func(fn *sitter.Node) []*sitter.Node { return ReturnedObjects(tr, fn) }))
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("ReturnedObjects(%s) = %q, want %q", tc.fn, got, tc.want)
		}
	}
	if ReturnedObjects(tr, nil) != nil {
		t.Error("ReturnedObjects(nil) != nil")
	}
}

func TestPropertyNamed(t *testing.T) {
	tr := mustParse(t, "a.js", `const o = {
  name: 1,
  'quoted': 2,
  "double": 3,
  ['computed']: 4,
  [dynamic]: 5,
  method() {},
  'astro:config:done': () => {},
  short,
  nested: { name: 6 },
  ...spread,
  name: 7,
};`)
	obj := Unwrap(VariableDeclarator(tr, nil, "o")[0].ChildByFieldName("value"))
	for _, tc := range []struct {
		key  string
		want []string // values
	}{
		{"name", []string{"1", "7"}},
		{"quoted", []string{"2"}},
		{"double", []string{"3"}},
		{"computed", []string{"4"}},
		{"dynamic", nil},
		{"method", []string{"method() {}"}},
		{"astro:config:done", []string{"() => {}"}},
		{"short", []string{"short"}},
		{"spread", nil},
		{"missing", nil},
	} {
		var got []string
		for _, p := range PropertyNamed(tr, obj, tc.key) {
			got = append(got, tr.Text(PropertyValue(p)))
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("PropertyNamed(%q) = %q, want %q", tc.key, got, tc.want)
		}
	}
}

func TestCallsTo(t *testing.T) {
	tr := mustParse(t, "a.ts", `
setAdapter(a);
NodeApp.writeResponse(res, x);
app?.writeResponse(1);
server.httpServer.on('upgrade', h);
other.setAdapter(b);
(setAdapter as any)(c);
new setAdapter(d);
`)
	for _, tc := range []struct {
		callee string
		want   []string
	}{
		{"setAdapter", []string{"setAdapter(a)", "(setAdapter as any)(c)"}},
		{"NodeApp.writeResponse", []string{"NodeApp.writeResponse(res, x)"}},
		{"app.writeResponse", []string{"app?.writeResponse(1)"}},
		{"writeResponse", nil},
		{"server.httpServer.on", []string{"server.httpServer.on('upgrade', h)"}},
		{"httpServer.on", nil},
		{"other.setAdapter", []string{"other.setAdapter(b)"}},
	} {
		got := texts(tr, CallsTo(tr, nil, tc.callee))
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("CallsTo(%q) = %q, want %q", tc.callee, got, tc.want)
		}
	}
	args := texts(tr, Arguments(CallsTo(tr, nil, "server.httpServer.on")[0]))
	if strings.Join(args, "|") != "'upgrade'|h" {
		t.Errorf("Arguments = %q", args)
	}
}

func TestStringLiterals(t *testing.T) {
	tr := mustParse(t, "a.js", `
a('@astrojs/node', "@astrojs/node/server.js", `+"`@astrojs/node/t.js`"+`);
b('[@astrojs/node] log', '@astrojs/nodejs', '@astrojs/node\/x', '\x40astrojs/node');
c(`+"`${'@astrojs/node'}`"+`, `+"`@astrojs/node/${x}`"+`);
// '@astrojs/node' in a comment is no string
`)
	refers := func(v string) bool { return v == "@astrojs/node" || strings.HasPrefix(v, "@astrojs/node/") }
	got := texts(tr, StringLiterals(tr, nil, refers))
	want := []string{`'@astrojs/node'`, `"@astrojs/node/server.js"`, "`@astrojs/node/t.js`", `'@astrojs/node\/x'`, `'\x40astrojs/node'`, `'@astrojs/node'`}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("StringLiterals = %q\nwant %q", got, want)
	}
}

func TestStringValue(t *testing.T) {
	for _, tc := range []struct {
		lit, want string
		ok        bool
	}{
		{`'plain'`, "plain", true},
		{`"double"`, "double", true},
		{`''`, "", true},
		{`'it\'s'`, "it's", true},
		{`"a\"b"`, `a"b`, true},
		{`'\n\t\\'`, "\n\t\\", true},
		{`'\x41\u0042\u{43}'`, "ABC", true},
		{`'\uD83D\uDE00'`, "\U0001F600", true},
		{`'\0'`, "\x00", true},
		{`'a\
b'`, "ab", true},
		{"`tmpl`", "tmpl", true},
		{"`a\\`b`", "a`b", true},
		{"`a${b}c`", "", false},
		{`42`, "", false},
	} {
		tr := mustParse(t, "a.js", "x = "+tc.lit+";")
		n := tr.Root.NamedChild(0).NamedChild(0).ChildByFieldName("right")
		got, ok := StringValue(tr, n)
		if got != tc.want || ok != tc.ok {
			t.Errorf("StringValue(%s) = %q, %v; want %q, %v", tc.lit, got, ok, tc.want, tc.ok)
		}
	}
}

func TestReplaceStringContent(t *testing.T) {
	for _, tc := range []struct {
		lit, value, want string
	}{
		{`'@astrojs/node'`, "zastro-websockets-node", `'zastro-websockets-node'`},
		{`"@astrojs/node"`, "zastro-websockets-node", `"zastro-websockets-node"`},
		{"`@astrojs/node`", "zastro-websockets-node", "`zastro-websockets-node`"},
		{`'x'`, `it's "q"`, `'it\'s "q"'`},
		{`"x"`, `it's "q"`, `"it's \"q\""`},
		{"`x`", "a`${b}\\", "`a\\`\\${b}\\\\`"},
		{`'x'`, "line\nnext\u2028", `'line\nnext\u2028'`},
	} {
		tr := mustParse(t, "a.js", "x = "+tc.lit+";")
		n := tr.Root.NamedChild(0).NamedChild(0).ChildByFieldName("right")
		e, err := ReplaceStringContent(n, tc.value)
		if err != nil {
			t.Fatal(err)
		}
		if e.Text != tc.want || e.Start != n.StartByte() || e.End != n.EndByte() {
			t.Errorf("ReplaceStringContent(%s, %q) = %+v, want %s over the literal", tc.lit, tc.value, e, tc.want)
		}
		// The new literal reads back as the value.
		tr2 := mustParse(t, "a.js", "x = "+e.Text+";")
		got, _ := StringValue(tr2, tr2.Root.NamedChild(0).NamedChild(0).ChildByFieldName("right"))
		if got != tc.value {
			t.Errorf("round trip of %q gave %q", tc.value, got)
		}
	}
	tr := mustParse(t, "a.js", "x = 1;")
	if _, err := ReplaceStringContent(tr.Root, "v"); err == nil {
		t.Error("ReplaceStringContent on a non-string: no error")
	}
}

func TestVariableDeclaratorAndImports(t *testing.T) {
	tr := mustParse(t, "a.ts", `import a from 'a';
import type { B } from './b.js';
const x = 1, y = 2;
function f() { let x = 3; }
export { a };
`)
	if got := texts(tr, VariableDeclarator(tr, nil, "x")); strings.Join(got, "|") != "x = 1|x = 3" {
		t.Errorf("VariableDeclarator(x) = %q", got)
	}
	imps := ImportDeclarations(tr)
	if len(imps) != 2 || tr.Text(ImportSource(imps[1])) != `'./b.js'` {
		t.Errorf("ImportDeclarations = %q", texts(tr, imps))
	}
	e := AddImport(tr, `import { c } from './c.js';`)
	if e.Start != imps[1].EndByte() || e.Text != "\nimport { c } from './c.js';" {
		t.Errorf("AddImport = %+v", e)
	}
	for _, tc := range []struct{ src, want string }{
		{"const a = 1;\n", "import x from 'x';\nconst a = 1;\n"},
		{"#!/usr/bin/env node\nrun();\n", "#!/usr/bin/env node\nimport x from 'x';\nrun();\n"},
	} {
		tr := mustParse(t, "a.js", tc.src)
		e := AddImport(tr, "import x from 'x';")
		got := tc.src[:e.Start] + e.Text + tc.src[e.End:]
		if got != tc.want {
			t.Errorf("AddImport on %q gives %q, want %q", tc.src, got, tc.want)
		}
	}
}

func TestEditHelpers(t *testing.T) {
	tr := mustParse(t, "a.js", "f(a);\n")
	call := CallsTo(tr, nil, "f")[0]
	for _, tc := range []struct {
		e    Edit
		want string
	}{
		{InsertBefore(call, "g(); "), "g(); f(a);\n"},
		{InsertAfter(call, ".then()"), "f(a).then();\n"},
		{Replace(call, "h()"), "h();\n"},
	} {
		src := string(tr.Src)
		if got := src[:tc.e.Start] + tc.e.Text + src[tc.e.End:]; got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

func TestWalkStaysInsideItsNode(t *testing.T) {
	tr := mustParse(t, "a.js", "function a() { x(); }\nfunction b() { y(); }\n")
	fn := FunctionNamed(tr, "a")[0]
	var ids []string
	Walk(fn, func(n *sitter.Node) bool {
		if n.Type() == "identifier" {
			ids = append(ids, tr.Text(n))
		}
		return true
	})
	if strings.Join(ids, ",") != "a,x" {
		t.Errorf("Walk(a) saw identifiers %v", ids)
	}
	if got := Descendants(tr, fn, "call_expression"); len(got) != 1 || tr.Text(got[0]) != "x()" {
		t.Errorf("Descendants = %q", texts(tr, got))
	}
}

func TestAnchorIsDeepestFound(t *testing.T) {
	tr := mustParse(t, "a.js", "function getAdapter() {\n  return {\n    name: 'n',\n  };\n}\n")
	tr.anchor = nil
	got := PropertyStrings(tr, ReturnedBy(tr, "getAdapter"), "serverEntrypoint", nil)
	if len(got) != 0 || tr.anchor == nil || tr.anchor.Type() != "object" || tr.Location(tr.anchor).Line != 2 {
		t.Errorf("anchor = %v, want the returned object on line 2", tr.anchor)
	}
	tr.anchor = nil
	FunctionNamed(tr, "nothing")
	if tr.anchor != nil {
		t.Error("a locator that found nothing set an anchor")
	}
}

func TestMarkers(t *testing.T) {
	for _, tc := range []struct {
		text, name string
		ok         bool
	}{
		{"/* zastro:node/x */", "node/x", true},
		{"// zastro:node/x", "node/x", true},
		{"/*zastro:node/x*/", "", false},
		{"/* zastro: */", "", false},
		{"// zastro:", "", false},
		{"/* other */", "", false},
	} {
		name, ok := markerName(tc.text)
		if name != tc.name || ok != tc.ok {
			t.Errorf("markerName(%q) = %q, %v", tc.text, name, ok)
		}
	}
	// Only comment nodes count: the same text in a string is no marker.
	tr := mustParse(t, "a.js", "x = '/* zastro:a */'; /* zastro:b */\n// zastro:c\ny = `/* zastro:d */`;\n")
	got := tr.markerCounts()
	if len(got) != 2 || got["b"] != 1 || got["c"] != 1 {
		t.Errorf("markerCounts = %v, want b and c", got)
	}
	for _, tc := range []struct{ in, want string }{
		{"'x'", "/* zastro:s */ 'x'"},
		{"\nfoo();", "\n/* zastro:s */ foo();"},
		{"", "/* zastro:s */"},
		{"  ", "  /* zastro:s */"},
	} {
		if got := marked("s", tc.in); got != tc.want {
			t.Errorf("marked(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSelectFiles(t *testing.T) {
	names := []string{"dist/index.d.ts", "dist/index.js", "dist/utils/a.js", "dist/utils/b.mjs", "package.json", "src/index.ts"}
	for _, tc := range []struct {
		cands, except []string
		want          string
	}{
		{[]string{"src/index.ts", "dist/index.js"}, nil, "src/index.ts"},
		{[]string{"lib/index.js", "dist/index.js"}, nil, "dist/index.js"},
		{[]string{"lib/index.js"}, nil, ""},
		{[]string{"dist/**/*.js"}, nil, "dist/index.js dist/utils/a.js"},
		{[]string{"dist/**/*.{js,mjs,ts}"}, []string{"**/*.d.ts"}, "dist/index.js dist/utils/a.js dist/utils/b.mjs"},
		{[]string{"dist/*.ts"}, nil, "dist/index.d.ts"},
		{[]string{"dist/*.ts"}, []string{"**/*.d.ts"}, ""},
		{[]string{"lib/**", "**/*.json"}, nil, "package.json"},
		{[]string{"dist/index.js"}, []string{"dist/*"}, ""},
	} {
		got := strings.Join(selectFiles(tc.cands, tc.except, names), " ")
		if got != tc.want {
			t.Errorf("selectFiles(%v, except %v) = %q, want %q", tc.cands, tc.except, got, tc.want)
		}
	}
}

func TestCount(t *testing.T) {
	for _, tc := range []struct {
		c    Count
		n    int
		ok   bool
		desc string
	}{
		{Exactly(1), 1, true, "1"},
		{Exactly(1), 0, false, "1"},
		{Exactly(1), 2, false, "1"},
		{AtLeast(0), 0, true, "at least 0"},
		{AtLeast(2), 1, false, "at least 2"},
		{AtLeast(2), 9, true, "at least 2"},
		{Between(1, 3), 3, true, "1 to 3"},
		{Between(1, 3), 4, false, "1 to 3"},
	} {
		if tc.c.Contains(tc.n) != tc.ok || tc.c.String() != tc.desc {
			t.Errorf("%+v: Contains(%d) = %v, String() = %q", tc.c, tc.n, tc.c.Contains(tc.n), tc.c.String())
		}
	}
}
