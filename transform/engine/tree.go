package engine

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"strings"

	sitter "github.com/smacker/go-tree-sitter"
	"github.com/smacker/go-tree-sitter/typescript/typescript"
)

// Tree is one parsed source file: its path in the package, its bytes and the
// root of its syntax tree. Nodes point into Src by byte offsets.
//
// A Tree is not safe for concurrent use: tree-sitter trees are not, and
// locator helpers record an anchor on the Tree (see Anchor).
type Tree struct {
	Path string
	Src  []byte
	Root *sitter.Node

	tree    *sitter.Tree              // keeps the C tree alive as long as the Tree is
	anchor  *sitter.Node              // the deepest node a locator found, for errors
	markers map[string]int            // step name -> marker comments, built on first use
	byType  map[string][]*sitter.Node // see rootNodesOfType
	indexed []indexed                 // see index
}

var tsLanguage = typescript.GetLanguage()

// Parse parses a TypeScript or JavaScript file (.ts .mts .cts .d.ts .js .mjs
// .cjs) with the tree-sitter TypeScript grammar, which reads plain JavaScript
// too. A tree with syntax errors is an error (a *SyntaxError) pointing at the
// first of them: zastro never edits code it cannot read.
func Parse(path string, src []byte) (*Tree, error) {
	t, err := parseTree(path, src)
	if err != nil {
		return nil, err
	}
	if t.Root.HasError() {
		return nil, t.syntaxError()
	}
	return t, nil
}

// parseTree parses a file and returns its tree even when it has syntax
// errors: the program root is always there, for steps that edit a file as
// a whole (Step.WholeFile).
func parseTree(path string, src []byte) (*Tree, error) {
	if !Parsable(path) {
		return nil, fmt.Errorf("%s: not a TypeScript or JavaScript file", path)
	}
	// The parser is not closed here: the Tree keeps a reference to it and
	// the finalizers free both together.
	p := sitter.NewParser()
	p.SetLanguage(tsLanguage)
	st, err := p.ParseCtx(context.Background(), nil, src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &Tree{Path: path, Src: src, Root: st.RootNode(), tree: st}, nil
}

// Parsable reports whether Parse accepts the file by its name.
func Parsable(name string) bool {
	switch path.Ext(name) {
	case ".ts", ".mts", ".cts", ".js", ".mjs", ".cjs":
		return true
	}
	return false
}

// SyntaxError is the error Parse returns for a file the grammar cannot read.
type SyntaxError struct {
	Location Location
	Text     string // "unexpected ..." or "missing ..."
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s:%d:%d: syntax error: %s", e.Location.File, e.Location.Line, e.Location.Column, e.Text)
}

// syntaxError points at the first ERROR or MISSING node in source order.
func (t *Tree) syntaxError() *SyntaxError {
	var bad *sitter.Node
	Walk(t.Root, func(n *sitter.Node) bool {
		if bad != nil {
			return false
		}
		if n.IsError() || n.IsMissing() {
			bad = n
			return false
		}
		return n.HasError()
	})
	if bad == nil { // HasError was set but no node says why; point at the start
		return &SyntaxError{Location: t.Location(nil), Text: "unreadable file"}
	}
	text := "unexpected " + quoteSnippet(firstLeafText(t, bad))
	if bad.IsMissing() {
		text = "missing " + quoteSnippet(bad.Type())
	} else if bad.StartByte() == bad.EndByte() || firstLeafText(t, bad) == "" {
		text = "unexpected end of input"
		if int(bad.EndByte()) < len(t.Src) {
			text = "unexpected input"
		}
	}
	return &SyntaxError{Location: t.Location(bad), Text: text}
}

func firstLeafText(t *Tree, n *sitter.Node) string {
	for n.ChildCount() > 0 {
		n = n.Child(0)
	}
	return t.Text(n)
}

func quoteSnippet(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return fmt.Sprintf("%q", s)
}

// Text returns the source text of n ("" for nil).
func (t *Tree) Text(n *sitter.Node) string {
	if n == nil {
		return ""
	}
	s, e := n.StartByte(), n.EndByte()
	if int(e) > len(t.Src) || s > e {
		return ""
	}
	return string(t.Src[s:e])
}

// Location returns where n starts; a nil n is the start of the file.
func (t *Tree) Location(n *sitter.Node) Location {
	var off uint32
	if n != nil {
		off = n.StartByte()
	}
	return locationAt(t.Path, t.Src, int(off))
}

// Anchor records n as the place to point at when the current locator finds
// fewer matches than its step wants. The locator helpers call it with each
// node they find, so after a failed chain such as "property serverEntrypoint
// of the object returned by getAdapter" the anchor is the deepest node that
// was still found (the returned object). A locator that walks the tree by
// itself may call it too.
func (t *Tree) Anchor(n *sitter.Node) {
	if n != nil {
		t.anchor = n
	}
}

// locationAt turns a byte offset into a 1-based line and a 0-based byte column.
func locationAt(file string, src []byte, off int) Location {
	if off > len(src) {
		off = len(src)
	}
	if off < 0 {
		off = 0
	}
	start := bytes.LastIndexByte(src[:off], '\n') + 1
	end := bytes.IndexByte(src[off:], '\n')
	if end < 0 {
		end = len(src)
	} else {
		end += off
	}
	line := string(bytes.TrimSuffix(src[start:end], []byte("\r")))
	return Location{
		File:     file,
		Line:     bytes.Count(src[:start], []byte("\n")) + 1,
		Column:   off - start,
		LineText: line,
	}
}

// markerCounts returns, per step name, how many marker comments the file
// holds. Only comment nodes count: a marker-like text inside a string does not.
func (t *Tree) markerCounts() map[string]int {
	if t.markers != nil {
		return t.markers
	}
	t.markers = map[string]int{}
	for _, n := range t.rootNodesOfType("comment") {
		if name, ok := markerName(t.Text(n)); ok {
			t.markers[name]++
		}
	}
	return t.markers
}
