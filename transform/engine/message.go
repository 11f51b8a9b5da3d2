package engine

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Location is a place in a file: 1-based line, 0-based byte column (as in
// esbuild), and the text of that line for a caret display.
type Location struct {
	File     string
	Line     int
	Column   int
	LineText string
}

// Stage is the pipeline stage a problem comes from.
type Stage string

// The stages, in pipeline order.
const (
	StageFetch     Stage = "fetch"     // loading the upstream package (git, npm, folder)
	StageTransform Stage = "transform" // the recipe (Apply)
	StageCompile   Stage = "compile"   // esbuild: upstream TypeScript and the runtime
	StageAssemble  Stage = "assemble"  // the package's files, package.json, declarations
	StageVerify    Stage = "verify"    // the contract check of the assembled package
)

// Message is a problem found while building a package: data, not a log line.
// Stage says where it happened; Apply's messages are StageTransform. Step is
// the step's name when the problem belongs to one. Location is nil when the
// problem has no place in a file (a bad version, a missing file).
type Message struct {
	Text     string
	Stage    Stage
	Step     string
	Location *Location
	Notes    []string
}

// String renders the message like a compiler does:
//
//	dist/index.js:9:4: error: node@11.1.6: step "node/identity-server-entrypoint": expected 1, found 0
//	  return {
//	         ^
//	note: ...
func (m Message) String() string {
	var b strings.Builder
	if l := m.Location; l != nil {
		fmt.Fprintf(&b, "%s:%d:%d: ", l.File, l.Line, l.Column)
	}
	b.WriteString("error: ")
	b.WriteString(m.Text)
	if l := m.Location; l != nil {
		b.WriteString("\n")
		b.WriteString(l.LineText)
		b.WriteString("\n")
		b.WriteString(caretPad(l.LineText, l.Column))
		b.WriteString("^")
	}
	for _, n := range m.Notes {
		b.WriteString("\nnote: ")
		b.WriteString(n)
	}
	return b.String()
}

// caretPad returns the whitespace that puts a caret under byte column col of
// line: tabs are kept so that the caret lines up in any tab width, and a
// multi-byte character takes one column.
func caretPad(line string, col int) string {
	var b strings.Builder
	for i := 0; i < col; {
		if i >= len(line) {
			b.WriteByte(' ')
			i++
			continue
		}
		if line[i] == '\t' {
			b.WriteByte('\t')
			i++
			continue
		}
		_, size := utf8.DecodeRuneInString(line[i:])
		b.WriteByte(' ')
		i += size
	}
	return b.String()
}
