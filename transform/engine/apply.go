package engine

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
	sitter "github.com/smacker/go-tree-sitter"

	"github.com/zastro-dev/zastro/internal/parallel"
)

// Apply runs recipe r on one upstream package. Every step that applies to
// in.Version is checked, and every problem is reported; when there is any,
// Result.Files is nil. Steps whose marker is already in their files are
// skipped, so applying a recipe to its own output changes nothing.
func Apply(r Recipe, in Input) Result {
	a := &applier{r: r, in: in, trees: map[string]*Tree{}, partial: map[string]*Tree{}, broken: map[string]bool{}, edits: map[string][]plannedEdit{}}
	return a.run()
}

// plannedEdit is an edit with the step that made it, for ordering and for
// naming both steps of an overlap.
type plannedEdit struct {
	Edit
	step int // index in the recipe
	seq  int // order within the step
}

type applier struct {
	r       Recipe
	in      Input
	version *semver.Version
	names   []string // sorted input paths
	trees   map[string]*Tree
	partial map[string]*Tree       // files with syntax errors, for whole-file steps
	parsed  map[string]parseResult // parsed ahead (preparse), not yet asked for
	broken  map[string]bool        // files that did not parse (reported once)
	edits   map[string][]plannedEdit
	changes []Change
	errs    []Message
}

func (a *applier) adapter() string {
	if a.in.Adapter != "" {
		return a.in.Adapter
	}
	return a.r.Adapter
}

// prefix is what every message starts with: "node@11.1.6".
func (a *applier) prefix() string { return a.adapter() + "@" + a.in.Version }

func (a *applier) fail(step string, loc *Location, format string, args ...any) *Message {
	a.errs = append(a.errs, Message{Text: a.prefix() + ": " + fmt.Sprintf(format, args...), Stage: StageTransform, Step: step, Location: loc})
	return &a.errs[len(a.errs)-1]
}

func (a *applier) run() Result {
	for name := range a.in.Files {
		a.names = append(a.names, name)
	}
	sort.Strings(a.names)

	a.validate()
	if len(a.errs) > 0 {
		return Result{Errors: a.errs}
	}
	a.preparse()
	for i := range a.r.Steps {
		a.step(i)
	}
	a.checkOverlaps()
	if len(a.errs) > 0 {
		return Result{Errors: a.errs}
	}
	files := a.splice()
	if len(a.errs) > 0 {
		return Result{Errors: a.errs}
	}
	edits := map[string][]Applied{}
	for _, file := range a.editedFiles() {
		for _, e := range a.sortedEdits(file) {
			edits[file] = append(edits[file], Applied{Edit: e.Edit, Step: a.r.Steps[e.step].Name})
		}
	}
	return Result{Files: files, Changes: a.changes, Edits: edits}
}

// validate checks the recipe and the input before any step runs.
func (a *applier) validate() {
	v, err := semver.StrictNewVersion(a.in.Version)
	if err != nil {
		a.fail("", nil, "invalid adapter version %q: %v", a.in.Version, err)
	}
	a.version = v
	if a.in.Adapter != "" && a.in.Adapter != a.r.Adapter {
		a.fail("", nil, "the input is a %q adapter but the recipe is for %q", a.in.Adapter, a.r.Adapter)
	}
	seen := map[string]bool{}
	for i, s := range a.r.Steps {
		name := s.Name
		switch {
		case name == "":
			a.fail("", nil, "recipe %s: step %d has no name", a.r.Adapter, i)
			continue
		case strings.Contains(name, "*/") || strings.ContainsAny(name, "\r\n") || strings.TrimSpace(name) != name:
			a.fail(name, nil, "recipe %s: step %q: a name must fit in a marker comment", a.r.Adapter, name)
		case seen[name]:
			a.fail(name, nil, "recipe %s: two steps are named %q", a.r.Adapter, name)
		}
		seen[name] = true
		if s.Locate == nil || s.Edit == nil {
			a.fail(name, nil, "recipe %s: step %q needs both Locate and Edit", a.r.Adapter, name)
		}
		if !s.Want.valid() {
			a.fail(name, nil, "recipe %s: step %q: invalid match count %+v", a.r.Adapter, name, s.Want)
		}
		if len(s.Files) == 0 {
			a.fail(name, nil, "recipe %s: step %q has no files", a.r.Adapter, name)
		}
		for _, f := range append(append([]string(nil), s.Files...), s.Except...) {
			if err := validGlob(f); err != nil {
				a.fail(name, nil, "recipe %s: step %q: file pattern %q: %v", a.r.Adapter, name, f, err)
			}
		}
		if s.Versions != "" {
			if _, err := semver.NewConstraint(s.Versions); err != nil {
				a.fail(name, nil, "recipe %s: step %q: invalid version range %q: %v", a.r.Adapter, name, s.Versions, err)
			}
		}
	}
}

// applies reports whether a step's version range admits the adapter version.
func (a *applier) applies(s Step) bool {
	if s.Versions == "" {
		return true
	}
	c, err := semver.NewConstraint(s.Versions)
	if err != nil {
		return false // reported by validate
	}
	c.IncludePrerelease = true
	return c.Check(a.version)
}

// tree parses a file once; a file that does not parse is reported once,
// without a step: it is the input's problem, not a step's.
func (a *applier) tree(name string) *Tree {
	if t, ok := a.trees[name]; ok {
		return t
	}
	if a.broken[name] {
		return nil
	}
	var t *Tree
	var err error
	if p, ok := a.parsed[name]; ok {
		t, err = p.t, p.err
		delete(a.parsed, name)
	} else {
		t, err = Parse(name, a.in.Files[name])
	}
	if err != nil {
		a.broken[name] = true
		if se, ok := err.(*SyntaxError); ok {
			loc := se.Location
			a.fail("", &loc, "%s: syntax error: %s", name, se.Text)
		} else {
			a.fail("", nil, "%v", err)
		}
		return nil
	}
	a.trees[name] = t
	return t
}

// wholeTree is the tree a whole-file step reads: the file's tree, with
// syntax errors or without.
func (a *applier) wholeTree(name string) *Tree {
	if t, ok := a.trees[name]; ok {
		return t
	}
	if t, ok := a.partial[name]; ok {
		return t
	}
	t, err := parseTree(name, a.in.Files[name])
	if err != nil {
		a.fail("", nil, "%v", err)
		return nil
	}
	if !t.Root.HasError() {
		a.trees[name] = t
		return t
	}
	a.partial[name] = t
	return t
}

// parseResult is a file parsed ahead of the step that asks for it.
type parseResult struct {
	t   *Tree
	err error
}

// stepFiles returns the files step s reads: those its patterns select, less
// those its MayMatch spares (parsed says which files are parsed already).
func (a *applier) stepFiles(s Step, parsed func(name string) bool) []string {
	names := selectFiles(s.Files, s.Except, a.names)
	if s.MayMatch == nil {
		return names
	}
	marker := []byte("zastro:" + s.Name) // a marker comment, block or line form
	kept := names[:0:0]
	for _, name := range names {
		src := a.in.Files[name]
		if parsed(name) || s.MayMatch(src) || bytes.Contains(src, marker) {
			kept = append(kept, name)
		}
	}
	return kept
}

// preparse parses, on all cores, the files the applicable steps will read;
// tree hands each out (and reports its syntax error) when a step first asks,
// so that messages come in the same order as without it.
func (a *applier) preparse() {
	want := map[string]bool{}
	for _, s := range a.r.Steps {
		if a.applies(s) && !s.WholeFile {
			for _, name := range a.stepFiles(s, func(name string) bool { return want[name] }) {
				want[name] = true
			}
		}
	}
	names := make([]string, 0, len(want))
	for name := range want {
		names = append(names, name)
	}
	sort.Strings(names)
	results := make([]parseResult, len(names))
	parallel.Each(len(names), func(i int) {
		results[i].t, results[i].err = Parse(names[i], a.in.Files[names[i]])
	})
	a.parsed = make(map[string]parseResult, len(names))
	for i, name := range names {
		a.parsed[name] = results[i]
	}
}

// match is one located place in one file.
type match struct {
	t *Tree
	m Match
}

func (a *applier) step(i int) {
	s := a.r.Steps[i]
	if !a.applies(s) {
		return
	}
	if len(selectFiles(s.Files, s.Except, a.names)) == 0 {
		a.fail(s.Name, nil, "step %q: none of its files is in the package: %s", s.Name, strings.Join(s.Files, ", "))
		return
	}
	names := a.stepFiles(s, func(name string) bool { _, ok := a.trees[name]; return ok })
	var trees []*Tree
	for _, name := range names {
		get := a.tree
		if s.WholeFile {
			get = a.wholeTree
		}
		if t := get(name); t != nil {
			trees = append(trees, t)
		}
	}
	if len(trees) < len(names) {
		return // a file did not parse: counting the others would mislead
	}
	for _, t := range trees {
		if t.markerCounts()[s.Name] > 0 {
			return // the step already ran on this package
		}
	}

	var matches []match
	var anchor *Tree // first file whose locator recorded an anchor
	for _, t := range trees {
		t.anchor = nil
		found, err := locate(s, t)
		if err != nil {
			a.fail(s.Name, ptr(t.Location(nil)), "%s: step %q: %v", t.Path, s.Name, err)
			return
		}
		if anchor == nil && t.anchor != nil {
			anchor = t
		}
		for _, m := range found {
			if s.Remainder && a.editedBefore(t.Path, m.Node) {
				continue
			}
			matches = append(matches, match{t, m})
		}
	}

	if !s.Want.Contains(len(matches)) {
		a.countError(s, trees, matches, anchor)
		return
	}

	perFile := map[string]int{}
	for _, m := range matches {
		edits, err := edit(s, m.t, m.m)
		if err != nil {
			a.fail(s.Name, ptr(m.t.Location(m.m.Node)), "%s: step %q: %v", m.t.Path, s.Name, err)
			continue
		}
		for _, e := range edits {
			if e.Start > e.End || int(e.End) > len(m.t.Src) {
				a.fail(s.Name, ptr(m.t.Location(m.m.Node)), "%s: step %q: edit [%d, %d) is outside the file (%d bytes)", m.t.Path, s.Name, e.Start, e.End, len(m.t.Src))
				continue
			}
			if s.WholeFile && (e.Start != e.End || (e.Start != 0 && int(e.Start) != len(m.t.Src))) {
				a.fail(s.Name, ptr(m.t.Location(m.m.Node)), "%s: step %q edits the whole file: edit [%d, %d) is not an insertion at its start or end", m.t.Path, s.Name, e.Start, e.End)
				continue
			}
			e.Text = marked(s.Name, e.Text)
			a.edits[m.t.Path] = append(a.edits[m.t.Path], plannedEdit{Edit: e, step: i, seq: len(a.edits[m.t.Path])})
			perFile[m.t.Path]++
		}
	}
	for _, name := range names {
		if perFile[name] > 0 {
			a.changes = append(a.changes, Change{File: name, Step: s.Name, Edits: perFile[name]})
		}
	}
}

func (a *applier) countError(s Step, trees []*Tree, matches []match, anchor *Tree) {
	found := len(matches)
	var loc Location
	var notes []string
	if s.Doc != "" {
		notes = append(notes, "the step: "+s.Doc)
	}
	file := trees[0].Path
	switch {
	case s.Want.Max >= 0 && found > s.Want.Max:
		extra := matches[s.Want.Max]
		loc, file = extra.t.Location(extra.m.Node), extra.t.Path
		var at []string
		for _, m := range matches {
			l := m.t.Location(m.m.Node)
			at = append(at, fmt.Sprintf("%s:%d:%d", l.File, l.Line, l.Column))
		}
		notes = append(notes, "shown: the first match beyond "+s.Want.String()+"; all matches: "+strings.Join(at, ", "))
	case anchor != nil:
		loc, file = anchor.Location(anchor.anchor), anchor.Path
		notes = append(notes, "shown: the deepest code the locator still found; upstream has changed below it")
	default:
		loc = trees[0].Location(nil)
		var paths []string
		for _, t := range trees {
			paths = append(paths, t.Path)
		}
		notes = append(notes, "searched: "+strings.Join(paths, ", "))
	}
	m := a.fail(s.Name, &loc, "%s: step %q: expected %s, found %d", file, s.Name, s.Want, found)
	m.Notes = notes
}

// editedBefore reports whether an earlier step already edits n's bytes.
func (a *applier) editedBefore(file string, n *sitter.Node) bool {
	for _, e := range a.edits[file] {
		if overlaps(n.StartByte(), n.EndByte(), e.Start, e.End) {
			return true
		}
	}
	return false
}

// overlaps reports whether two byte ranges share a byte, or one is an
// insertion strictly inside the other. Two insertions at the same offset do
// not overlap: they apply in step order.
func overlaps(s1, e1, s2, e2 uint32) bool {
	switch {
	case s1 == e1:
		return s2 < s1 && s1 < e2
	case s2 == e2:
		return s1 < s2 && s2 < e1
	}
	return s1 < e2 && s2 < e1
}

func (a *applier) sortedEdits(file string) []plannedEdit {
	es := a.edits[file]
	sort.SliceStable(es, func(i, j int) bool {
		x, y := es[i], es[j]
		if x.Start != y.Start {
			return x.Start < y.Start
		}
		if x.End != y.End {
			return x.End < y.End
		}
		if x.step != y.step {
			return x.step < y.step
		}
		return x.seq < y.seq
	})
	return es
}

func (a *applier) editedFiles() []string {
	var files []string
	for f := range a.edits {
		files = append(files, f)
	}
	sort.Strings(files)
	return files
}

// checkOverlaps reports each pair of steps whose edits overlap in a file.
func (a *applier) checkOverlaps() {
	for _, file := range a.editedFiles() {
		es := a.sortedEdits(file)
		reported := map[[2]int]bool{}
		widest := 0
		for i := 1; i < len(es); i++ {
			w, e := es[widest], es[i]
			if overlaps(w.Start, w.End, e.Start, e.End) && !reported[[2]int{w.step, e.step}] {
				reported[[2]int{w.step, e.step}] = true
				sa, sb := a.r.Steps[w.step].Name, a.r.Steps[e.step].Name
				loc := locationAt(file, a.in.Files[file], int(e.Start))
				if sa == sb {
					a.fail(sa, &loc, "%s: step %q makes overlapping edits", file, sa)
				} else {
					a.fail(sb, &loc, "%s: steps %q and %q edit overlapping ranges", file, sa, sb)
				}
			}
			if e.End > w.End {
				widest = i
			}
		}
	}
}

// splice applies the edits back to front on a copy of each file, then
// re-parses the result: it must parse, and each edit's marker must be a
// comment (an edit inside a string or a comment would break idempotency).
func (a *applier) splice() map[string][]byte {
	out := make(map[string][]byte, len(a.in.Files))
	for name, src := range a.in.Files {
		out[name] = src
	}
	edited := a.editedFiles()
	spliced := make([][]byte, len(edited))
	for k, file := range edited {
		es := a.sortedEdits(file)
		b := append([]byte(nil), a.in.Files[file]...)
		for i := len(es) - 1; i >= 0; i-- {
			e := es[i]
			tail := append([]byte(e.Text), b[e.End:]...)
			b = append(b[:e.Start], tail...)
		}
		spliced[k] = b
	}
	// The edited files are parsed again on all cores, then checked in order.
	reparsed := make([]parseResult, len(edited))
	parallel.Each(len(edited), func(k int) {
		reparsed[k].t, reparsed[k].err = Parse(edited[k], spliced[k])
	})
	for k, file := range edited {
		es := a.sortedEdits(file)
		src := a.in.Files[file]
		b := spliced[k]
		out[file] = b

		stepsHere := map[int]int{}
		for _, e := range es {
			stepsHere[e.step]++
		}
		var order []int
		for st := range stepsHere {
			order = append(order, st)
		}
		sort.Ints(order)
		var names []string
		for _, st := range order {
			names = append(names, fmt.Sprintf("%q", a.r.Steps[st].Name))
		}

		t, err := reparsed[k].t, reparsed[k].err
		if _, ok := err.(*SyntaxError); ok && a.partial[file] != nil && a.onlyWholeFile(order) {
			// A file the grammar could not read before: whole-file steps
			// only added text at its ends, the markers are still checked.
			t, err = parseTree(file, b)
		}
		if err != nil {
			se, ok := err.(*SyntaxError)
			if !ok {
				a.fail("", nil, "%v", err)
				continue
			}
			loc := se.Location
			m := a.fail(a.r.Steps[order[0]].Name, &loc, "%s: the edits of step %s leave a syntax error: %s", file, strings.Join(names, ", "), se.Text)
			m.Notes = []string{"the location is in the edited file"}
			continue
		}
		notComment := a.misplacedMarkers(t, es)
		for _, st := range order {
			name := a.r.Steps[st].Name
			if notComment[st] > 0 {
				var first plannedEdit
				for _, e := range es {
					if e.step == st {
						first = e
						break
					}
				}
				loc := locationAt(file, src, int(first.Start))
				a.fail(name, &loc, "%s: step %q: %d of its %d marker comments are not comments after editing: an edit lands inside a string, template or comment", file, name, notComment[st], stepsHere[st])
			}
		}
	}
	return out
}

// onlyWholeFile reports whether every step of a file's edits is a
// whole-file step.
func (a *applier) onlyWholeFile(steps []int) bool {
	for _, st := range steps {
		if !a.r.Steps[st].WholeFile {
			return false
		}
	}
	return true
}

// misplacedMarkers counts, per step, the marker comments that the edits es
// (sorted, as spliced into t) put where the edited file's syntax tree has no
// comment of exactly the marker's bytes: inside a string, a template or
// another comment. It looks up each marker's node instead of walking the file.
func (a *applier) misplacedMarkers(t *Tree, es []plannedEdit) map[int]int {
	type span struct {
		step       int
		start, end int
	}
	var marks []span
	shift := 0
	for _, e := range es {
		start := int(e.Start) + shift
		lead := len(e.Text) - len(strings.TrimLeft(e.Text, " \t\r\n"))
		m := Marker(a.r.Steps[e.step].Name)
		marks = append(marks, span{e.step, start + lead, start + lead + len(m)})
		shift += len(e.Text) - int(e.End-e.Start)
	}
	out := map[int]int{}
	row, lineStart, at := 0, 0, 0
	point := func(off int) sitter.Point { // offsets come in increasing order
		for ; at < off; at++ {
			if t.Src[at] == '\n' {
				row, lineStart = row+1, at+1
			}
		}
		return sitter.Point{Row: uint32(row), Column: uint32(off - lineStart)}
	}
	for _, m := range marks {
		start := point(m.start)
		end := point(m.end)
		n := t.Root.NamedDescendantForPointRange(start, end)
		if n == nil || n.Type() != "comment" || int(n.StartByte()) != m.start || int(n.EndByte()) != m.end {
			out[m.step]++
		}
	}
	return out
}

// locate runs a step's locator, turning a panic into an error, and returns
// its matches with distinct non-nil nodes in source order (the first match
// of a node keeps its captures).
func locate(s Step, t *Tree) (matches []Match, err error) {
	defer func() {
		if r := recover(); r != nil {
			matches, err = nil, fmt.Errorf("locator panicked: %v", r)
		}
	}()
	seen := map[[2]uint32]map[string]bool{}
	for _, m := range s.Locate(t) {
		n := m.Node
		if n == nil {
			continue
		}
		k := [2]uint32{n.StartByte(), n.EndByte()}
		if seen[k] == nil {
			seen[k] = map[string]bool{}
		}
		if seen[k][n.Type()] {
			continue
		}
		seen[k][n.Type()] = true
		matches = append(matches, m)
	}
	sort.SliceStable(matches, func(i, j int) bool {
		a, b := matches[i].Node, matches[j].Node
		if a.StartByte() != b.StartByte() {
			return a.StartByte() < b.StartByte()
		}
		return a.EndByte() > b.EndByte()
	})
	return matches, nil
}

// edit runs a step's edit function, turning a panic into an error.
func edit(s Step, t *Tree, m Match) (edits []Edit, err error) {
	defer func() {
		if r := recover(); r != nil {
			edits, err = nil, fmt.Errorf("edit panicked: %v", r)
		}
	}()
	return s.Edit(t, m)
}

func ptr[T any](v T) *T { return &v }
