package engine

import "testing"

func TestMessageString(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    Message
		want string
	}{
		{
			"no location",
			Message{Text: "node@x: invalid adapter version"},
			"error: node@x: invalid adapter version",
		},
		{
			"caret under the column",
			Message{Text: "boom", Location: &Location{File: "dist/index.js", Line: 3, Column: 4, LineText: "    name: 'x',"}},
			"dist/index.js:3:4: error: boom\n    name: 'x',\n    ^",
		},
		{
			"tabs are kept so the caret lines up",
			Message{Text: "boom", Location: &Location{File: "src/index.ts", Line: 9, Column: 8, LineText: "\t\tname: 'x',"}},
			"src/index.ts:9:8: error: boom\n\t\tname: 'x',\n\t\t      ^",
		},
		{
			"multi-byte characters take one column",
			Message{Text: "boom", Location: &Location{File: "a.js", Line: 1, Column: 7, LineText: `"é" + x`}},
			"a.js:1:7: error: boom\n\"é\" + x\n      ^",
		},
		{
			"column 0 and notes",
			Message{Text: "boom", Location: &Location{File: "a.js", Line: 1, Column: 0, LineText: "x"}, Notes: []string{"one", "two"}},
			"a.js:1:0: error: boom\nx\n^\nnote: one\nnote: two",
		},
	} {
		if got := tc.m.String(); got != tc.want {
			t.Errorf("%s:\ngot:\n%s\nwant:\n%s", tc.name, got, tc.want)
		}
	}
}

func TestLocationAt(t *testing.T) {
	src := []byte("ab\r\ncd\n\nef")
	for _, tc := range []struct {
		off       int
		line, col int
		text      string
	}{
		{0, 1, 0, "ab"},
		{1, 1, 1, "ab"},
		{4, 2, 0, "cd"},
		{7, 3, 0, ""},
		{9, 4, 1, "ef"},
		{99, 4, 2, "ef"},
	} {
		l := locationAt("f", src, tc.off)
		if l.Line != tc.line || l.Column != tc.col || l.LineText != tc.text || l.File != "f" {
			t.Errorf("locationAt(%d) = %+v, want %d:%d %q", tc.off, l, tc.line, tc.col, tc.text)
		}
	}
}
