package engine

import (
	"strings"
	"testing"

	sitter "github.com/smacker/go-tree-sitter"
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
			got = append(got, strings.Join(ParamNames(tr, fn), ","))
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
