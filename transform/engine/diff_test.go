package engine

import (
	"fmt"
	"math/rand"
	"strconv"
	"strings"
	"testing"
)

func TestUnifiedDiff(t *testing.T) {
	for _, tc := range []struct {
		name, a, b, want string
	}{
		{"equal", "a\nb\n", "a\nb\n", ""},
		{"both empty", "", "", ""},
		{"one line changed", "a\nb\nc\n", "a\nB\nc\n", `--- a/f.js
+++ b/f.js
@@ -1,3 +1,3 @@
 a
-b
+B
 c
`},
		{"from empty", "", "x\ny\n", `--- a/f.js
+++ b/f.js
@@ -0,0 +1,2 @@
+x
+y
`},
		{"to empty", "x\n", "", `--- a/f.js
+++ b/f.js
@@ -1 +0,0 @@
-x
`},
		{"no newline at end", "a\nb", "a\nb\n", `--- a/f.js
+++ b/f.js
@@ -1,2 +1,2 @@
 a
-b
\ No newline at end of file
+b
`},
		{"context is three lines", "1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\nfive\n6\n7\n8\n9\n", `--- a/f.js
+++ b/f.js
@@ -2,7 +2,7 @@
 2
 3
 4
-5
+five
 6
 7
 8
`},
		{"far apart: two hunks", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", "one\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\ntwelve\n", `--- a/f.js
+++ b/f.js
@@ -1,4 +1,4 @@
-1
+one
 2
 3
 4
@@ -9,4 +9,4 @@
 9
 10
 11
-12
+twelve
`},
		{"close: one hunk", "1\n2\n3\n4\n5\n6\n7\n8\n", "one\n2\n3\n4\n5\n6\n7\neight\n", `--- a/f.js
+++ b/f.js
@@ -1,8 +1,8 @@
-1
+one
 2
 3
 4
 5
 6
 7
-8
+eight
`},
		{"insert in middle", "a\nb\nc\nd\n", "a\nb\nnew\nc\nd\n", `--- a/f.js
+++ b/f.js
@@ -1,4 +1,5 @@
 a
 b
+new
 c
 d
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := UnifiedDiff("f.js", []byte(tc.a), []byte(tc.b)); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

// TestUnifiedDiffRoundTrip applies random diffs back with a small patcher:
// the diff must turn a into b and be minimal enough to keep common lines.
func TestUnifiedDiffRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 500; i++ {
		a := randomLines(rng)
		b := mutate(rng, a)
		d := UnifiedDiff("f", []byte(a), []byte(b))
		if (a == b) != (d == "") {
			t.Fatalf("a == b is %v but diff is %q", a == b, d)
		}
		if d == "" {
			continue
		}
		got, err := patch(a, d)
		if err != nil {
			t.Fatalf("case %d: %v\na=%q\nb=%q\ndiff:\n%s", i, err, a, b, d)
		}
		if got != b {
			t.Fatalf("case %d: patch gives %q, want %q\ndiff:\n%s", i, got, b, d)
		}
	}
}

func TestMyersIsMinimal(t *testing.T) {
	// abcabba -> cbabac: the classic example has an edit distance of 5.
	a := strings.Split("a b c a b b a", " ")
	b := strings.Split("c b a b a c", " ")
	ops := diffLines(a, b)
	edits := 0
	for _, o := range ops {
		if o.kind != ' ' {
			edits++
		}
	}
	if edits != 5 {
		t.Errorf("%d edits, want 5", edits)
	}
}

func randomLines(rng *rand.Rand) string {
	var b strings.Builder
	n := rng.Intn(20)
	for i := 0; i < n; i++ {
		b.WriteString(strconv.Itoa(rng.Intn(6)))
		b.WriteByte('\n')
	}
	s := b.String()
	if s != "" && rng.Intn(4) == 0 {
		s = s[:len(s)-1] // no final newline
	}
	return s
}

func mutate(rng *rand.Rand, s string) string {
	lines := splitLines([]byte(s))
	for k := rng.Intn(5); k > 0; k-- {
		switch i := rng.Intn(len(lines) + 1); rng.Intn(3) {
		case 0:
			lines = append(lines[:i], append([]string{"new" + strconv.Itoa(rng.Intn(3)) + "\n"}, lines[i:]...)...)
		case 1:
			if i < len(lines) {
				lines = append(lines[:i], lines[i+1:]...)
			}
		case 2:
			if i < len(lines) {
				lines[i] = "changed\n"
			}
		}
	}
	out := strings.Join(lines, "")
	if rng.Intn(4) == 0 {
		out = strings.TrimSuffix(out, "\n")
	}
	return out
}

// patch applies a unified diff as written by UnifiedDiff.
func patch(a, diff string) (string, error) {
	src := splitLines([]byte(a))
	lines := strings.Split(strings.TrimSuffix(diff, "\n"), "\n")
	var out []string
	pos := 0
	for i := 2; i < len(lines); i++ {
		l := lines[i]
		if strings.HasPrefix(l, "@@ ") {
			var as, al, bs, bl int
			f := strings.Fields(l)
			parse := func(r string, start, count *int) {
				r = r[1:]
				*count = 1
				if c := strings.IndexByte(r, ','); c >= 0 {
					*count, _ = strconv.Atoi(r[c+1:])
					r = r[:c]
				}
				*start, _ = strconv.Atoi(r)
			}
			parse(f[1], &as, &al)
			parse(f[2], &bs, &bl)
			from := as - 1
			if al == 0 {
				from = as
			}
			if from < pos {
				return "", fmt.Errorf("hunk at %d goes back before %d", from, pos)
			}
			out = append(out, src[pos:from]...)
			pos = from
			continue
		}
		noNL := i+1 < len(lines) && lines[i+1] == `\ No newline at end of file`
		text := l[1:]
		if !noNL {
			text += "\n"
		}
		switch l[0] {
		case ' ':
			if pos >= len(src) || src[pos] != text {
				return "", fmt.Errorf("context %q does not match line %d", text, pos+1)
			}
			out = append(out, text)
			pos++
		case '-':
			if pos >= len(src) || src[pos] != text {
				return "", fmt.Errorf("deleted %q does not match line %d", text, pos+1)
			}
			pos++
		case '+':
			out = append(out, text)
		case '\\':
		default:
			return "", fmt.Errorf("bad line %q", l)
		}
	}
	out = append(out, src[pos:]...)
	return strings.Join(out, ""), nil
}
