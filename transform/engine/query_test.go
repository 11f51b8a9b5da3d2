package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	sitter "github.com/smacker/go-tree-sitter"
)

// nodesOfType finds, with a query (over the recipe fixtures in ../testdata), exactly the nodes that a walk over every
// node finds, in the same order, for a whole file and for a scope inside it;
// so does a Tree's index of the types the locators search for.
func TestNodesOfTypeMatchesWalk(t *testing.T) {
	var files []string
	filepath.WalkDir(filepath.Join("..", "testdata"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && Parsable(p) && !strings.HasSuffix(p, ".d.ts") {
			files = append(files, p)
		}
		return nil
	})
	if len(files) < 10 {
		t.Fatalf("%d fixture files", len(files))
	}
	typeSets := [][]string{
		{"string", "template_string"},
		{"comment"},
		{"call_expression"},
		{"function_declaration", "generator_function_declaration", "variable_declarator"},
		{"arrow_function", "statement_block", "expression_statement"},
	}
	walk := func(n *sitter.Node, types []string) []*sitter.Node {
		var out []*sitter.Node
		Walk(n, func(c *sitter.Node) bool {
			for _, ty := range types {
				if c.IsNamed() && c.Type() == ty {
					out = append(out, c)
				}
			}
			return true
		})
		return out
	}
	same := func(a, b []*sitter.Node) bool {
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if a[i].StartByte() != b[i].StartByte() || a[i].EndByte() != b[i].EndByte() || a[i].Type() != b[i].Type() {
				return false
			}
		}
		return true
	}
	total := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := Parse(f, src)
		if err != nil {
			continue // the error fixtures
		}
		scopes := append([]*sitter.Node{tr.Root}, nodesOfType(tr.Root, "function_declaration", "arrow_function", "expression_statement", "call_expression", "string")...)
		for _, types := range typeSets {
			for _, scope := range scopes {
				want, got := walk(scope, types), nodesOfType(scope, types...)
				total += len(got)
				if !same(want, got) {
					t.Errorf("%s: %v in %s at %d: query found %d nodes, walk %d (or in another order)", f, types, scope.Type(), scope.StartByte(), len(got), len(want))
				}
				// The same through the Tree's index (and its memo).
				for i := 0; i < 2; i++ {
					if got := tr.scopedNodesOfType(scope, types...); !same(want, got) {
						t.Errorf("%s: %v in %s at %d: the index found %d nodes, walk %d (or in another order)", f, types, scope.Type(), scope.StartByte(), len(got), len(want))
					}
				}
			}
		}
	}
	if total == 0 {
		t.Fatal("no node found in the fixtures")
	}
}
