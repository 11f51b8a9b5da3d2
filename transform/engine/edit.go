package engine

import (
	"fmt"
	"strings"

	sitter "github.com/smacker/go-tree-sitter"
)

// Edit replaces the bytes [Start, End) of the original file with Text. An
// insertion has Start == End; a deletion has Text "". Offsets always refer to
// the file as it was parsed, never to the result of other edits.
type Edit struct {
	Start, End uint32
	Text       string
}

// InsertBefore inserts text right before n.
func InsertBefore(n *sitter.Node, text string) Edit {
	return Edit{Start: n.StartByte(), End: n.StartByte(), Text: text}
}

// InsertAfter inserts text right after n.
func InsertAfter(n *sitter.Node, text string) Edit {
	return Edit{Start: n.EndByte(), End: n.EndByte(), Text: text}
}

// Replace replaces n with text.
func Replace(n *sitter.Node, text string) Edit {
	return Edit{Start: n.StartByte(), End: n.EndByte(), Text: text}
}

// ReplaceStringContent replaces the string literal n with one whose value is
// value, written with n's own delimiter (', " or `). The whole literal is
// replaced, quotes included, so that the step's marker comment lands outside
// the string.
func ReplaceStringContent(n *sitter.Node, value string) (Edit, error) {
	if n == nil || (n.Type() != "string" && n.Type() != "template_string") || n.ChildCount() == 0 {
		return Edit{}, fmt.Errorf("ReplaceStringContent: not a string literal")
	}
	q := n.Child(0).Type()
	if q != "'" && q != `"` && q != "`" {
		return Edit{}, fmt.Errorf("ReplaceStringContent: unknown string delimiter %q", q)
	}
	return Replace(n, quoteJS(value, q[0])), nil
}

// AddImport inserts an import statement (the whole statement, e.g.
// `import { x } from "./x.js";`) on a new line after the file's last
// top-level import, or at the top of the file when it has none.
func AddImport(t *Tree, text string) Edit {
	if imps := ImportDeclarations(t); len(imps) > 0 {
		return InsertAfter(imps[len(imps)-1], "\n"+text)
	}
	for _, n := range NamedChildren(t.Root) {
		if n.Type() == "hash_bang_line" {
			return InsertAfter(n, "\n"+text)
		}
		break
	}
	return Edit{Start: 0, End: 0, Text: text + "\n"}
}

// Marker returns the comment that marks an edit made by the named step:
// `/* zastro:<step> */`. The engine adds it to every edit; a file holding it
// as a comment node has already been through that step.
func Marker(step string) string { return "/* zastro:" + step + " */" }

// markerName recognises a marker comment's text (block or line form).
func markerName(comment string) (string, bool) {
	if strings.HasPrefix(comment, "/* zastro:") && strings.HasSuffix(comment, " */") && len(comment) > len("/* zastro: */") {
		return comment[len("/* zastro:") : len(comment)-len(" */")], true
	}
	if name, ok := strings.CutPrefix(comment, "// zastro:"); ok && name != "" {
		return name, true
	}
	return "", false
}

// marked puts the step's marker in front of an edit's text, after any
// leading whitespace so that an insertion starting with a newline carries
// its marker on the new line.
func marked(step, text string) string {
	rest := strings.TrimLeft(text, " \t\r\n")
	lead := text[:len(text)-len(rest)]
	if rest == "" {
		return lead + Marker(step)
	}
	return lead + Marker(step) + " " + rest
}
