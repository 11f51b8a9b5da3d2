package transform

import (
	"strings"
	"testing"

	sitter "github.com/smacker/go-tree-sitter"
	"github.com/zastro-dev/zastro/adapters"
)

// Edit receives the captures Locate made with each match, and only once per
// node when Locate finds a node twice.
func TestEditReceivesTheLocatorsCaptures(t *testing.T) {
	src := "export function outer(a, b) {\n\treturn { x: \"1\" };\n}\n"
	var got []string
	step := Step{
		Name:  "test/captures",
		Files: []string{"dist/index.js"},
		Want:  Exactly(1),
		Locate: func(tr *Tree) []Match {
			var out []Match
			for _, fn := range FunctionNamed(tr, "outer") {
				for _, obj := range ReturnedObjects(tr, fn) {
					m := Match{Node: obj, Captures: map[string]*sitter.Node{"function": fn}}
					out = append(out, m, Match{Node: obj}) // the same node twice
				}
			}
			return out
		},
		Edit: func(tr *Tree, m Match) ([]Edit, error) {
			fn := m.Capture("function")
			if fn == nil {
				t.Error("Edit got a match without the function Locate captured")
				return nil, nil
			}
			got = append(got, strings.Join(paramNames(tr, fn), ","))
			return []Edit{InsertBefore(m.Node, "/* seen */ ")}, nil
		},
	}
	res := Apply(Recipe{Adapter: "node", Steps: []Step{step}}, Input{Version: "1.0.0", Files: map[string][]byte{"dist/index.js": []byte(src)}})
	if len(res.Errors) > 0 {
		t.Fatal(res.Errors)
	}
	if len(got) != 1 || got[0] != "a,b" {
		t.Errorf("Edit saw the parameters %v, want [a,b] once", got)
	}
	if m := (Match{}); m.Capture("x") != nil {
		t.Error("a match without captures returned one")
	}
}

// Every version range of the shipped recipes is a cutoff of the adapter's
// descriptor, so that transform, assemble and verify cannot disagree.
func TestRecipeRangesComeFromTheDescriptor(t *testing.T) {
	for _, d := range adapters.All() {
		r, err := RecipeFor(d.Name)
		if err != nil {
			t.Fatal(err)
		}
		if r.Package != d.Package || r.NewPackage != d.Generated || r.Supported != d.Supported {
			t.Errorf("%s: recipe %s -> %s (%s), descriptor %s -> %s (%s)", d.Name, r.Package, r.NewPackage, r.Supported, d.Package, d.Generated, d.Supported)
		}
		ranges := map[string]bool{"": true}
		for _, c := range d.Cutoffs {
			ranges[c.From()], ranges[c.Before()] = true, true
		}
		for _, s := range append(append([]Step(nil), r.Steps...), r.Declarations...) {
			if !ranges[s.Versions] {
				t.Errorf("%s: step %s: range %q is none of the descriptor's cutoffs", d.Name, s.Name, s.Versions)
			}
			if !strings.HasPrefix(s.Name, d.Name+"/") {
				t.Errorf("%s: step %s is not named after its adapter", d.Name, s.Name)
			}
		}
	}
}
