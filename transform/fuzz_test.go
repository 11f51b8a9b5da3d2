package transform

import (
	"bytes"
	"maps"
	"path"
	"sort"
	"strings"
	"testing"

	"github.com/zastro-dev/zastro/transform/engine"
)

// FuzzApply: Parse and Apply never panic, and whenever the node recipe
// succeeds its output parses and a second run changes nothing. The input is
// a whole package, node-8 or node-10 (the two generations of compiled
// JavaScript, <10 and >=10 steps), with one of its files replaced by the
// fuzzed bytes: slot picks the package (slot%2) and the file (slot/2).
func FuzzApply(f *testing.F) {
	bases := []fixture{loadFixture(f, "node-8"), loadFixture(f, "node-10")}
	names := make([][]string, len(bases)) // parsable files of each base, sorted
	for i, b := range bases {
		for name := range b.files {
			if engine.Parsable(name) && !strings.Contains(name, ".d.") {
				names[i] = append(names[i], name)
			}
		}
		sort.Strings(names[i])
	}
	// slotOf is the slot of the file of base i with the same base name as
	// name (dist/server.js for src/server.ts), the index when there is none.
	slotOf := func(i int, name string) uint8 {
		stem := strings.TrimSuffix(path.Base(name), path.Ext(name))
		for j, n := range names[i] {
			if strings.TrimSuffix(path.Base(n), path.Ext(n)) == stem {
				return uint8(j*2 + i)
			}
		}
		for j, n := range names[i] {
			if n == "dist/index.js" {
				return uint8(j*2 + i)
			}
		}
		return uint8(i)
	}
	for _, g := range generations {
		fx := loadFixture(f, g.dir)
		for name, b := range fx.files {
			if engine.Parsable(name) {
				for i := range bases {
					f.Add(slotOf(i, name), b)
				}
			}
		}
	}
	index := slotOf(1, "dist/index.js")
	f.Add(index, []byte("function getAdapter(){return{name:'@astrojs/node',serverEntrypoint:'@astrojs/node/s',previewEntrypoint:'@astrojs/node/p'}}function createIntegration(o){return{name:'@astrojs/node',hooks:{}}}"))
	f.Add(index, []byte("x = '/* zastro:node/identity-adapter-name */' /* zastro:node/identity-specifiers */"))
	f.Add(slotOf(1, "dist/serve-app.js"), []byte("function createAppHandler(){return async(a,b,c,d)=>{}}"))
	f.Add(slotOf(0, "dist/server.js"), []byte("function createExports(m,o){return{}}"))
	f.Add(index, []byte{0xff, 0xfe, '\'', 0})
	node, _ := RecipeFor("node")
	f.Fuzz(func(t *testing.T, slot uint8, src []byte) {
		base := bases[int(slot)%2]
		name := names[int(slot)%2][int(slot/2)%len(names[int(slot)%2])]
		if tr, err := engine.Parse(name, src); err == nil {
			engine.StringLiterals(tr, nil, nil)
			engine.FunctionNamed(tr, "getAdapter")
		}
		files := maps.Clone(base.files)
		files[name] = src
		res := engine.Apply(node, engine.Input{Adapter: "node", Version: base.version, Files: files})
		if len(res.Errors) > 0 {
			if res.Files != nil {
				t.Fatal("Files must be nil on error")
			}
			for _, m := range res.Errors {
				_ = m.String()
			}
			return
		}
		for n, out := range res.Files {
			if !engine.Parsable(n) || strings.Contains(n, ".d.") {
				continue
			}
			if _, err := engine.Parse(n, out); err != nil {
				t.Fatalf("output does not parse: %v\n%s", err, out)
			}
		}
		again := engine.Apply(node, engine.Input{Adapter: "node", Version: base.version, Files: res.Files})
		if len(again.Errors) > 0 || len(again.Changes) > 0 {
			t.Fatalf("second run: %v %v", again.Changes, render(again.Errors))
		}
		for n, out := range res.Files {
			if !bytes.Equal(again.Files[n], out) {
				t.Fatalf("second run changed %s:\n%s", n, engine.UnifiedDiff(n, out, again.Files[n]))
			}
		}
		_ = engine.UnifiedDiff(name, src, res.Files[name])
	})
}

func BenchmarkApplyNode(b *testing.B) {
	node, _ := RecipeFor("node")
	var inputs []engine.Input
	for _, g := range generations {
		if g.adapter == "node" {
			inputs = append(inputs, loadFixture(b, g.dir).input("node"))
		}
	}
	b.ResetTimer()
	for b.Loop() {
		for _, in := range inputs {
			if res := engine.Apply(node, in); len(res.Errors) > 0 {
				b.Fatal(render(res.Errors))
			}
		}
	}
}
