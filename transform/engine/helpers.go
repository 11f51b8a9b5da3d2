package engine

import (
	"strings"

	sitter "github.com/smacker/go-tree-sitter"
)

// The syntax-tree helpers recipes share, beside the locators of locate.go.

// PropertyStrings returns the string literals satisfying pred in the value of
// property key of each object: `key: "@astrojs/node"` as well as
// `key: custom ?? "@astrojs/node/server.js"`.
func PropertyStrings(t *Tree, objs []*sitter.Node, key string, pred func(string) bool) []*sitter.Node {
	return Each(objs, func(obj *sitter.Node) []*sitter.Node {
		return Each(PropertyNamed(t, obj, key), func(p *sitter.Node) []*sitter.Node {
			return StringLiterals(t, PropertyValue(p), pred)
		})
	})
}

// ReturnedBy returns the objects that the functions called name return.
func ReturnedBy(t *Tree, name string) []*sitter.Node {
	return Each(FunctionNamed(t, name), func(fn *sitter.Node) []*sitter.Node {
		return ReturnedObjects(t, fn)
	})
}

// ReturnedFunctions returns the functions that fn returns directly
// (`return async (req, res) => {...}`).
func ReturnedFunctions(t *Tree, fn *sitter.Node) []*sitter.Node {
	body := fn.ChildByFieldName("body")
	if body == nil || body.Type() != "statement_block" {
		return nil
	}
	var out []*sitter.Node
	Walk(body, func(n *sitter.Node) bool {
		if n != body && IsFunction(n) {
			return false
		}
		if n.Type() == "return_statement" {
			if v := Unwrap(FirstNamedChild(n)); v != nil && IsFunction(v) {
				out = append(out, v)
			}
			return false
		}
		return true
	})
	return Found(t, out)
}

// ParamNames returns the names of fn's parameters, "" for a destructured one.
func ParamNames(t *Tree, fn *sitter.Node) []string {
	if fn == nil {
		return nil
	}
	if p := fn.ChildByFieldName("parameter"); p != nil { // x => ...
		return []string{t.Text(p)}
	}
	ps := fn.ChildByFieldName("parameters")
	if ps == nil {
		return nil
	}
	var names []string
	for _, p := range NamedChildren(ps) {
		switch p.Type() {
		case "comment":
			continue
		case "identifier":
			names = append(names, t.Text(p))
		case "required_parameter", "optional_parameter":
			if pat := p.ChildByFieldName("pattern"); pat != nil && pat.Type() == "identifier" {
				names = append(names, t.Text(pat))
			} else {
				names = append(names, "")
			}
		default:
			names = append(names, "")
		}
	}
	return names
}

// TopLevelStatement returns the module-level statement that declares decl
// (`const x = ...` or `export const x = ...`), nil when decl is nested.
func TopLevelStatement(t *Tree, decl *sitter.Node) *sitter.Node {
	stmt := decl.Parent()
	if stmt == nil || (stmt.Type() != "lexical_declaration" && stmt.Type() != "variable_declaration") {
		return nil
	}
	if p := stmt.Parent(); p != nil && p.Type() == "export_statement" {
		stmt = p
	}
	if p := stmt.Parent(); p == nil || p.Type() != "program" {
		return nil
	}
	return stmt
}

// ExportSpecifier finds `name` in a module-level `export { ... }` clause.
func ExportSpecifier(t *Tree, name string) *sitter.Node {
	for _, stmt := range NamedChildren(t.Root) {
		if stmt.Type() != "export_statement" || stmt.ChildByFieldName("source") != nil {
			continue
		}
		for _, clause := range NamedChildren(stmt) {
			if clause.Type() != "export_clause" {
				continue
			}
			for _, spec := range NamedChildren(clause) {
				if spec.Type() == "export_specifier" && t.Text(spec.ChildByFieldName("name")) == name && spec.ChildByFieldName("alias") == nil {
					return spec
				}
			}
		}
	}
	return nil
}

// OwnReturns returns the return statements of fn itself, not of functions
// nested in it.
func OwnReturns(fn *sitter.Node) []*sitter.Node {
	body := fn.ChildByFieldName("body")
	if body == nil || body.Type() != "statement_block" {
		return nil
	}
	var out []*sitter.Node
	Walk(body, func(n *sitter.Node) bool {
		if n != body && (IsFunction(n) || n.Type() == "class_body") {
			return false
		}
		if n.Type() == "return_statement" {
			out = append(out, n)
			return false
		}
		return true
	})
	return out
}

// EnclosingStatement returns the statement that holds n, directly inside a
// block or the program.
func EnclosingStatement(n *sitter.Node) *sitter.Node {
	for p := n; p != nil; p = p.Parent() {
		parent := p.Parent()
		if parent == nil {
			return nil
		}
		if parent.Type() == "statement_block" || parent.Type() == "program" {
			return p
		}
		if IsFunction(parent) {
			return nil // an arrow function's expression body
		}
	}
	return nil
}

// IndentOf returns the whitespace that starts n's line.
func IndentOf(t *Tree, n *sitter.Node) string {
	start := int(n.StartByte())
	line := strings.LastIndexByte(string(t.Src[:start]), '\n') + 1
	lead := t.Src[line:start]
	for i, c := range lead {
		if c != ' ' && c != '\t' {
			return string(lead[:i])
		}
	}
	return string(lead)
}
