package engine

import (
	"strings"

	sitter "github.com/smacker/go-tree-sitter"
)

// Locator helpers. Each takes the Tree (for the source text) and a scope node
// (nil means the whole file), returns every match in source order, and
// records what it found with Tree.Anchor so that a failed chain points at the
// deepest node it reached. None of them looks at source text except through
// the syntax tree: names are compared with identifier and string nodes.

// Walk calls visit for n and then, in source order, for each node below it
// (named and anonymous, comments included); when visit returns false the
// node's children are skipped.
func Walk(n *sitter.Node, visit func(*sitter.Node) bool) {
	if n == nil {
		return
	}
	c := sitter.NewTreeCursor(n)
	defer c.Close()
	for {
		if visit(c.CurrentNode()) && c.GoToFirstChild() {
			continue
		}
		for !c.GoToNextSibling() {
			if !c.GoToParent() {
				return
			}
		}
	}
}

// Descendants returns scope and the nodes below it whose type is one of
// types, in source order (scope nil: the whole file).
func Descendants(t *Tree, scope *sitter.Node, types ...string) []*sitter.Node {
	return append([]*sitter.Node(nil), t.scopedNodesOfType(scope, types...)...)
}

// Each applies f to every node and concatenates the results: the way to chain
// locators over several matches.
//
//	objs := Each(FunctionNamed(t, "getAdapter"), func(fn *sitter.Node) []*sitter.Node {
//		return ReturnedObjects(t, fn)
//	})
func Each(nodes []*sitter.Node, f func(*sitter.Node) []*sitter.Node) []*sitter.Node {
	var out []*sitter.Node
	for _, n := range nodes {
		out = append(out, f(n)...)
	}
	return out
}

// FunctionNamed returns the functions called name in the file: function
// declarations (exported or not, generators included) and arrow functions or
// function expressions bound to a const/let/var of that name. The returned
// node is the function itself (function_declaration, arrow_function, ...).
func FunctionNamed(t *Tree, name string) []*sitter.Node {
	var out []*sitter.Node
	for _, n := range t.rootNodesOfType("function_declaration", "generator_function_declaration", "variable_declarator") {
		switch n.Type() {
		case "function_declaration", "generator_function_declaration":
			if t.Text(n.ChildByFieldName("name")) == name {
				out = append(out, n)
			}
		case "variable_declarator":
			id := n.ChildByFieldName("name")
			if id == nil || id.Type() != "identifier" || t.Text(id) != name {
				break
			}
			if v := Unwrap(n.ChildByFieldName("value")); v != nil && IsFunction(v) {
				out = append(out, v)
			}
		}
	}
	return Found(t, out)
}

// IsFunction reports whether n opens a new function body.
func IsFunction(n *sitter.Node) bool {
	switch n.Type() {
	case "function_declaration", "generator_function_declaration", "function_expression",
		"function", "generator_function", "arrow_function", "method_definition":
		return true
	}
	return false
}

// Unwrap strips what does not change an expression's value: parentheses and
// TypeScript's as, satisfies, <T> assertions and ! (non-null). Nil stays nil.
func Unwrap(n *sitter.Node) *sitter.Node {
	for n != nil {
		switch n.Type() {
		case "parenthesized_expression", "as_expression", "satisfies_expression", "non_null_expression":
			n = FirstNamedChild(n)
		case "type_assertion":
			kids := NamedChildren(n)
			if len(kids) == 0 {
				return nil
			}
			n = kids[len(kids)-1]
		default:
			return n
		}
	}
	return nil
}

// ReturnedObjects returns the object literals that fn returns: the operands
// of its own return statements (not those of functions nested in it) and, for
// an arrow function, an object body like `() => ({ ... })`.
func ReturnedObjects(t *Tree, fn *sitter.Node) []*sitter.Node {
	if fn == nil {
		return nil
	}
	body := fn.ChildByFieldName("body")
	if body == nil {
		return nil
	}
	var out []*sitter.Node
	if body.Type() != "statement_block" {
		if v := Unwrap(body); v != nil && v.Type() == "object" {
			out = append(out, v)
		}
		return Found(t, out)
	}
	Walk(body, func(n *sitter.Node) bool {
		if n != body && (IsFunction(n) || n.Type() == "class_body") {
			return false
		}
		if n.Type() == "return_statement" {
			if v := Unwrap(FirstNamedChild(n)); v != nil && v.Type() == "object" {
				out = append(out, v)
			}
			return false
		}
		return true
	})
	return Found(t, out)
}

// PropertyNamed returns the members of object literal obj whose key is key:
// pairs (`key: v`, `'key': v`, `['key']: v`), methods (`key() {}`) and
// shorthand properties (`key`). Use PropertyValue for the value.
func PropertyNamed(t *Tree, obj *sitter.Node, key string) []*sitter.Node {
	if obj == nil {
		return nil
	}
	var out []*sitter.Node
	for _, m := range NamedChildren(obj) {
		var k *sitter.Node
		switch m.Type() {
		case "pair":
			k = m.ChildByFieldName("key")
		case "method_definition":
			k = m.ChildByFieldName("name")
		case "shorthand_property_identifier":
			k = m
		default:
			continue
		}
		if propertyKey(t, k) == key {
			out = append(out, m)
		}
	}
	return Found(t, out)
}

// propertyKey is the name a key node stands for ("" when it is computed from
// anything but a string literal).
func propertyKey(t *Tree, k *sitter.Node) string {
	if k == nil {
		return "\x00"
	}
	switch k.Type() {
	case "property_identifier", "shorthand_property_identifier", "identifier", "number", "private_property_identifier":
		return t.Text(k)
	case "string":
		v, _ := StringValue(t, k)
		return v
	case "computed_property_name":
		if v, ok := StringValue(t, Unwrap(FirstNamedChild(k))); ok {
			return v
		}
	}
	return "\x00"
}

// PropertyValue returns the value of an object member found by
// PropertyNamed: a pair's value, a shorthand property itself, a method itself.
func PropertyValue(prop *sitter.Node) *sitter.Node {
	if prop == nil {
		return nil
	}
	if prop.Type() == "pair" {
		return prop.ChildByFieldName("value")
	}
	return prop
}

// CallsTo returns the calls in scope whose callee is callee: an identifier
// ("setAdapter") or a member chain ("NodeApp.writeResponse",
// "server.httpServer.on"), matched on identifier nodes; optional chaining
// (`a?.b()`) matches "a.b".
func CallsTo(t *Tree, scope *sitter.Node, callee string) []*sitter.Node {
	want := strings.Split(callee, ".")
	var out []*sitter.Node
	for _, n := range t.scopedNodesOfType(scope, "call_expression") {
		if CalleeIs(t, n.ChildByFieldName("function"), want) {
			out = append(out, n)
		}
	}
	return Found(t, out)
}

func CalleeIs(t *Tree, n *sitter.Node, parts []string) bool {
	n = Unwrap(n)
	if n == nil || len(parts) == 0 {
		return false
	}
	last := parts[len(parts)-1]
	switch n.Type() {
	case "identifier", "this", "super":
		return len(parts) == 1 && t.Text(n) == last
	case "member_expression":
		p := n.ChildByFieldName("property")
		if p == nil || t.Text(p) != last || len(parts) < 2 {
			return false
		}
		return CalleeIs(t, n.ChildByFieldName("object"), parts[:len(parts)-1])
	}
	return false
}

// Arguments returns the argument expressions of a call or new expression.
func Arguments(call *sitter.Node) []*sitter.Node {
	if call == nil {
		return nil
	}
	return NamedChildren(call.ChildByFieldName("arguments"))
}

// StringLiterals returns the string literals in scope (quoted strings and
// template strings without ${} substitutions) whose value satisfies pred.
// The value is the string's content with escapes decoded.
func StringLiterals(t *Tree, scope *sitter.Node, pred func(value string) bool) []*sitter.Node {
	var out []*sitter.Node
	for _, n := range t.scopedNodesOfType(scope, "string", "template_string") {
		if v, ok := StringValue(t, n); ok && (pred == nil || pred(v)) {
			out = append(out, n)
		}
	}
	return Found(t, out)
}

// StringValue returns the value of a string literal node: its content with
// escape sequences decoded. ok is false when n is not a string literal or is
// a template string with substitutions.
func StringValue(t *Tree, n *sitter.Node) (value string, ok bool) {
	if n == nil || (n.Type() != "string" && n.Type() != "template_string") {
		return "", false
	}
	var rs []rune
	for i := 0; i < int(n.ChildCount()); i++ {
		c := n.Child(i)
		switch c.Type() {
		case "string_fragment":
			rs = append(rs, []rune(t.Text(c))...)
		case "escape_sequence":
			rs = appendEscape(rs, t.Text(c))
		case "template_substitution":
			return "", false
		}
	}
	return runesToString(rs), true
}

// VariableDeclarator returns the declarators in scope that bind name
// (`const name = ...`, `let name`, `var name = ...`).
func VariableDeclarator(t *Tree, scope *sitter.Node, name string) []*sitter.Node {
	var out []*sitter.Node
	for _, n := range t.scopedNodesOfType(scope, "variable_declarator") {
		if id := n.ChildByFieldName("name"); id != nil && id.Type() == "identifier" && t.Text(id) == name {
			out = append(out, n)
		}
	}
	return Found(t, out)
}

// ImportDeclarations returns the file's top-level import statements.
func ImportDeclarations(t *Tree) []*sitter.Node {
	var out []*sitter.Node
	for _, n := range NamedChildren(t.Root) {
		if n.Type() == "import_statement" {
			out = append(out, n)
		}
	}
	return out
}

// ImportSource returns the module specifier string node of an import (or
// `export ... from`) statement, nil if it has none.
func ImportSource(imp *sitter.Node) *sitter.Node {
	if imp == nil {
		return nil
	}
	return imp.ChildByFieldName("source")
}

func orRoot(t *Tree, scope *sitter.Node) *sitter.Node {
	if scope == nil {
		return t.Root
	}
	return scope
}

// Found records the first of nodes as the anchor and returns nodes.
func Found(t *Tree, nodes []*sitter.Node) []*sitter.Node {
	if len(nodes) > 0 {
		t.Anchor(nodes[0])
	}
	return nodes
}

// NamedChildren returns n's named children, comments left out.
func NamedChildren(n *sitter.Node) []*sitter.Node {
	if n == nil {
		return nil
	}
	var out []*sitter.Node
	for i := 0; i < int(n.NamedChildCount()); i++ {
		if c := n.NamedChild(i); c.Type() != "comment" && c.Type() != "html_comment" {
			out = append(out, c)
		}
	}
	return out
}

func FirstNamedChild(n *sitter.Node) *sitter.Node {
	if kids := NamedChildren(n); len(kids) > 0 {
		return kids[0]
	}
	return nil
}
