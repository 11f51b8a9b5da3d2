package engine

import (
	"strings"
	"testing"
)

// A declaration file the grammar cannot read: the second line is not
// TypeScript tree-sitter accepts.
const unreadableDTS = "export declare const a: number;\nexport declare const b: (;\n"

func wholeFileStep(name string, edit func(t *Tree) Edit) Step {
	return Step{
		Name: name, Files: []string{"dist/index.d.ts"}, Want: Exactly(1), WholeFile: true,
		Locate: func(t *Tree) []Match { return []Match{{Node: t.Root}} },
		Edit:   func(t *Tree, m Match) ([]Edit, error) { return []Edit{edit(t)}, nil },
	}
}

// Whole-file steps edit a file the grammar cannot read, mark their edits,
// and do not run again on their own output; other steps still refuse it.
func TestWholeFileStepsReadAnyFile(t *testing.T) {
	prepend := wholeFileStep("test/prepend", func(t *Tree) Edit { return Edit{Text: "/// <reference path=\"./x.d.ts\" />\n"} })
	appendStep := wholeFileStep("test/append", func(t *Tree) Edit {
		return Edit{Start: uint32(len(t.Src)), End: uint32(len(t.Src)), Text: "export declare const c: 1;\n"}
	})
	recipe := Recipe{Adapter: "node", Steps: []Step{prepend, appendStep}}
	in := Input{Version: "1.0.0", Files: map[string][]byte{"dist/index.d.ts": []byte(unreadableDTS)}}
	if _, err := Parse("dist/index.d.ts", in.Files["dist/index.d.ts"]); err == nil {
		t.Fatal("the fixture parses: it must not, for this test")
	}
	res := Apply(recipe, in)
	if len(res.Errors) > 0 {
		t.Fatal(res.Errors)
	}
	want := "/* zastro:test/prepend */ /// <reference path=\"./x.d.ts\" />\n" + unreadableDTS + "/* zastro:test/append */ export declare const c: 1;\n"
	if got := string(res.Files["dist/index.d.ts"]); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if len(res.Changes) != 2 {
		t.Errorf("changes %v, want one per step", res.Changes)
	}
	again := Apply(recipe, Input{Version: "1.0.0", Files: res.Files})
	if len(again.Errors) > 0 || len(again.Changes) != 0 || string(again.Files["dist/index.d.ts"]) != want {
		t.Errorf("second run: errors %v, changes %v", again.Errors, again.Changes)
	}

	// A step that reads the syntax tree gets the syntax error.
	strict := prepend
	strict.WholeFile = false
	res = Apply(Recipe{Adapter: "node", Steps: []Step{strict}}, in)
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Text, "syntax error") {
		t.Errorf("a tree step on an unreadable file: %v", res.Errors)
	}
}

// A whole-file step may only insert at the start or the end.
func TestWholeFileStepsOnlyInsertAtTheEnds(t *testing.T) {
	middle := wholeFileStep("test/middle", func(t *Tree) Edit { return Edit{Start: 3, End: 3, Text: "x"} })
	res := Apply(Recipe{Adapter: "node", Steps: []Step{middle}}, Input{Version: "1.0.0", Files: map[string][]byte{"dist/index.d.ts": []byte(unreadableDTS)}})
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Text, "not an insertion at its start or end") {
		t.Errorf("errors %v", res.Errors)
	}
}
