package transform

import (
	"bytes"
	"testing"
)

// FuzzApply: Parse and Apply never panic, and whenever the node recipe
// succeeds its output parses and a second run changes nothing.
func FuzzApply(f *testing.F) {
	for _, g := range generations {
		fx := loadFixture(f, g.dir)
		for name, b := range fx.files {
			if Parsable(name) {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("function getAdapter(){return{name:'@astrojs/node',serverEntrypoint:'@astrojs/node/s',previewEntrypoint:'@astrojs/node/p'}}function createIntegration(){return{name:'@astrojs/node'}}"))
	f.Add([]byte("x = '/* zastro:node/identity-adapter-name */' /* zastro:node/identity-specifiers */"))
	f.Add([]byte{0xff, 0xfe, '\'', 0})
	node, _ := RecipeFor("node")
	f.Fuzz(func(t *testing.T, src []byte) {
		if tr, err := Parse("dist/index.js", src); err == nil {
			StringLiterals(tr, nil, nil)
			FunctionNamed(tr, "getAdapter")
		}
		in := Input{Adapter: "node", Version: "10.0.0", Files: map[string][]byte{"dist/index.js": src}}
		res := Apply(node, in)
		if len(res.Errors) > 0 {
			if res.Files != nil {
				t.Fatal("Files must be nil on error")
			}
			for _, m := range res.Errors {
				_ = m.String()
			}
			return
		}
		out := res.Files["dist/index.js"]
		if _, err := Parse("dist/index.js", out); err != nil {
			t.Fatalf("output does not parse: %v\n%s", err, out)
		}
		again := Apply(node, Input{Adapter: "node", Version: "10.0.0", Files: res.Files})
		if len(again.Errors) > 0 || len(again.Changes) > 0 || !bytes.Equal(again.Files["dist/index.js"], out) {
			t.Fatalf("second run: %v %v\n%s", again.Changes, render(again.Errors), UnifiedDiff("dist/index.js", out, again.Files["dist/index.js"]))
		}
		_ = UnifiedDiff("dist/index.js", src, out)
	})
}

func BenchmarkApplyNode(b *testing.B) {
	node, _ := RecipeFor("node")
	var inputs []Input
	for _, g := range generations {
		if g.adapter == "node" {
			inputs = append(inputs, loadFixture(b, g.dir).input("node"))
		}
	}
	b.ResetTimer()
	for b.Loop() {
		for _, in := range inputs {
			if res := Apply(node, in); len(res.Errors) > 0 {
				b.Fatal(render(res.Errors))
			}
		}
	}
}
