package engine

import (
	"bytes"
	"fmt"
	"strings"
)

// UnifiedDiff returns the unified diff (3 lines of context) that turns a into
// b, with "--- a/path" and "+++ b/path" headers, or "" when they are equal.
// It is what `zastro diff` prints for each file a recipe changed.
func UnifiedDiff(path string, a, b []byte) string {
	if bytes.Equal(a, b) {
		return ""
	}
	ops := diffLines(splitLines(a), splitLines(b))
	var out strings.Builder
	fmt.Fprintf(&out, "--- a/%s\n+++ b/%s\n", path, path)
	for _, h := range hunks(ops, 3) {
		writeHunk(&out, ops[h[0]:h[1]])
	}
	return out.String()
}

// splitLines cuts text after each "\n"; the last line may lack one.
func splitLines(b []byte) []string {
	var lines []string
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			lines = append(lines, string(b))
			break
		}
		lines = append(lines, string(b[:i+1]))
		b = b[i+1:]
	}
	return lines
}

// diffOp is one line of an edit script: kept (' '), deleted ('-') or
// inserted ('+'); a and b count the lines of each side before it.
type diffOp struct {
	kind byte
	line string
	a, b int
}

// diffLines computes a shortest edit script with Myers' algorithm after
// trimming the common prefix and suffix.
func diffLines(a, b []string) []diffOp {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	ids := map[string]int{}
	code := func(lines []string) []int {
		out := make([]int, len(lines))
		for i, l := range lines {
			id, ok := ids[l]
			if !ok {
				id = len(ids)
				ids[l] = id
			}
			out[i] = id
		}
		return out
	}
	ma, mb := a[pre:len(a)-suf], b[pre:len(b)-suf]
	script := deletionsFirst(myers(code(ma), code(mb)))

	var ops []diffOp
	ai, bi := 0, 0
	emit := func(kind byte) {
		switch kind {
		case ' ':
			ops = append(ops, diffOp{' ', a[ai], ai, bi})
			ai++
			bi++
		case '-':
			ops = append(ops, diffOp{'-', a[ai], ai, bi})
			ai++
		case '+':
			ops = append(ops, diffOp{'+', b[bi], ai, bi})
			bi++
		}
	}
	for range pre {
		emit(' ')
	}
	for _, k := range script {
		emit(k)
	}
	for range suf {
		emit(' ')
	}
	return ops
}

// maxTrace bounds the memory of the Myers trace (in ints); beyond it the
// differing middle is shown as one deletion and one insertion, which is a
// correct if not minimal diff.
const maxTrace = 1 << 24

// myers returns the edit script (' ', '-', '+') from a to b.
func myers(a, b []int) []byte {
	n, m := len(a), len(b)
	max := n + m
	if max == 0 {
		return nil
	}
	off := max + 1
	v := make([]int, 2*max+3)
	// trace[d] holds v[k] for k in [-d-1, d+1] as it was before round d.
	var trace [][]int
	stored := 0
	done := false
	for d := 0; d <= max && !done; d++ {
		stored += 2*d + 3
		if stored > maxTrace {
			return replaceAll(n, m)
		}
		trace = append(trace, append([]int(nil), v[off-d-1:off+d+2]...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[off+k] = x
			if x >= n && y >= m {
				done = true
				break
			}
		}
	}
	var rev []byte
	x, y := n, m
	for d := len(trace) - 1; d >= 0; d-- {
		t := trace[d]
		at := func(k int) int { return t[k+d+1] }
		k := x - y
		var pk int
		if k == -d || (k != d && at(k-1) < at(k+1)) {
			pk = k + 1
		} else {
			pk = k - 1
		}
		px := at(pk)
		py := px - pk
		for x > px && y > py {
			rev = append(rev, ' ')
			x--
			y--
		}
		if d > 0 {
			if x == px {
				rev = append(rev, '+')
			} else {
				rev = append(rev, '-')
			}
		}
		x, y = px, py
	}
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	return rev
}

// deletionsFirst orders each run of changes as deletions then insertions,
// the way diff(1) prints them; any order within a run is a valid script.
func deletionsFirst(script []byte) []byte {
	for i := 0; i < len(script); {
		if script[i] == ' ' {
			i++
			continue
		}
		j := i
		dels := 0
		for j < len(script) && script[j] != ' ' {
			if script[j] == '-' {
				dels++
			}
			j++
		}
		for k := i; k < j; k++ {
			if k-i < dels {
				script[k] = '-'
			} else {
				script[k] = '+'
			}
		}
		i = j
	}
	return script
}

func replaceAll(n, m int) []byte {
	out := make([]byte, 0, n+m)
	for range n {
		out = append(out, '-')
	}
	for range m {
		out = append(out, '+')
	}
	return out
}

// hunks groups the changed ops with ctx lines of context around them;
// changes closer than 2*ctx kept lines share a hunk. Each hunk is a [from, to)
// range of ops.
func hunks(ops []diffOp, ctx int) [][2]int {
	var out [][2]int
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		start := max(0, i-ctx)
		end := i // last change seen, inclusive
		for j := i + 1; j < len(ops); j++ {
			if ops[j].kind != ' ' {
				if j-end-1 > 2*ctx {
					break
				}
				end = j
			}
		}
		stop := min(len(ops), end+1+ctx)
		out = append(out, [2]int{start, stop})
		i = stop
	}
	return out
}

func writeHunk(w *strings.Builder, ops []diffOp) {
	na, nb := 0, 0
	for _, o := range ops {
		if o.kind != '+' {
			na++
		}
		if o.kind != '-' {
			nb++
		}
	}
	fmt.Fprintf(w, "@@ -%s +%s @@\n", hunkRange(ops[0].a, na), hunkRange(ops[0].b, nb))
	for _, o := range ops {
		w.WriteByte(o.kind)
		w.WriteString(strings.TrimSuffix(o.line, "\n"))
		w.WriteByte('\n')
		if !strings.HasSuffix(o.line, "\n") {
			w.WriteString("\\ No newline at end of file\n")
		}
	}
}

// hunkRange is "start,count" with GNU diff's conventions: a count of 1 is
// left out, and an empty range starts at the line before it.
func hunkRange(before, count int) string {
	switch count {
	case 0:
		return fmt.Sprintf("%d,0", before)
	case 1:
		return fmt.Sprintf("%d", before+1)
	}
	return fmt.Sprintf("%d,%d", before+1, count)
}
