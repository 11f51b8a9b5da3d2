package engine

import (
	"sort"
	"strings"
	"sync"

	sitter "github.com/smacker/go-tree-sitter"
)

// A tree-sitter query finds the nodes of a few types below a node inside
// tree-sitter itself, one call per match: much cheaper than visiting each
// node of a large file from Go (Walk), which costs several cgo calls per
// node. Queries are compiled once per process; a compiled query is read-only
// and serves concurrent cursors.
var typeQueries sync.Map // "type type ..." -> *typeQuery

type typeQuery struct {
	once sync.Once
	q    *sitter.Query // nil: some type is not a named node type of the grammar
}

// nodesOfType returns n and the nodes below it whose type is one of types, in
// source order, a node before the nodes inside it: what Walk would visit, for
// named node types.
func nodesOfType(n *sitter.Node, types ...string) []*sitter.Node {
	if n == nil {
		return nil
	}
	key := strings.Join(types, " ")
	return queryTypes(n, key, types)
}

// indexedTypes are the node types that the locator helpers search for. One
// query finds them all, once per Tree: compiling a query against the
// TypeScript grammar costs milliseconds, so a process compiles this one only.
var indexedTypes = []string{"string", "template_string", "comment", "call_expression",
	"function_declaration", "generator_function_declaration", "variable_declarator"}

var indexQuery struct {
	once sync.Once
	q    *sitter.Query
}

// indexed is one node the index query found.
type indexed struct {
	n          *sitter.Node
	ty         int // index in indexedTypes
	start, end uint32
}

// index returns every node of indexedTypes in the file, in pre-order.
func (t *Tree) index() []indexed {
	if t.indexed != nil {
		return t.indexed
	}
	indexQuery.once.Do(func() {
		var src strings.Builder
		for _, ty := range indexedTypes {
			src.WriteString("(" + ty + ") @" + ty + "\n")
		}
		q, err := sitter.NewQuery([]byte(src.String()), tsLanguage)
		if err != nil {
			panic("transform: the index query does not compile: " + err.Error()) // fixed text
		}
		indexQuery.q = q
	})
	names := map[uint32]int{}
	for i, ty := range indexedTypes {
		for id := uint32(0); id < indexQuery.q.CaptureCount(); id++ {
			if indexQuery.q.CaptureNameForId(id) == ty {
				names[id] = i
			}
		}
	}
	qc := sitter.NewQueryCursor()
	defer qc.Close()
	qc.Exec(indexQuery.q, t.Root)
	out := []indexed{}
	sorted := true
	for {
		m, ok := qc.NextMatch()
		if !ok {
			break
		}
		for _, c := range m.Captures {
			e := indexed{c.Node, names[c.Index], c.Node.StartByte(), c.Node.EndByte()}
			if k := len(out); k > 0 && before(e.start, e.end, out[k-1].start, out[k-1].end) {
				sorted = false
			}
			out = append(out, e)
		}
	}
	if !sorted {
		sort.SliceStable(out, func(i, j int) bool { return before(out[i].start, out[i].end, out[j].start, out[j].end) })
	}
	t.indexed = out
	return out
}

// typeSet returns which indexed types types names, and whether all are
// indexed.
func typeSet(types []string) (set [8]bool, ok bool) {
	for _, ty := range types {
		found := false
		for i, it := range indexedTypes {
			if it == ty {
				set[i], found = true, true
			}
		}
		if !found {
			return set, false
		}
	}
	return set, true
}

// rootNodesOfType is nodesOfType(t.Root, types...), kept on the Tree: the
// steps of a recipe search the same files for the same kinds of nodes. The
// slice is shared: callers must not modify it.
func (t *Tree) rootNodesOfType(types ...string) []*sitter.Node {
	key := strings.Join(types, " ")
	if nodes, ok := t.byType[key]; ok {
		return nodes
	}
	var nodes []*sitter.Node
	if set, ok := typeSet(types); ok {
		nodes = []*sitter.Node{}
		for _, e := range t.index() {
			if set[e.ty] {
				nodes = append(nodes, e.n)
			}
		}
	} else {
		nodes = queryTypes(t.Root, key, types)
	}
	if t.byType == nil {
		t.byType = map[string][]*sitter.Node{}
	}
	t.byType[key] = nodes
	return nodes
}

// scopedNodesOfType is nodesOfType over scope, nil meaning the whole file.
func (t *Tree) scopedNodesOfType(scope *sitter.Node, types ...string) []*sitter.Node {
	if scope == nil || scope.Equal(t.Root) {
		return t.rootNodesOfType(types...)
	}
	set, ok := typeSet(types)
	if !ok {
		return nodesOfType(scope, types...)
	}
	s, e := scope.StartByte(), scope.EndByte()
	var out []*sitter.Node
	for _, x := range t.index() {
		if !set[x.ty] || x.start < s || x.end > e {
			continue
		}
		// A node spanning exactly scope's bytes may enclose scope.
		if x.start == s && x.end == e && !within(x.n, scope) {
			continue
		}
		out = append(out, x.n)
	}
	return out
}

// within reports whether n is scope or below it.
func within(n, scope *sitter.Node) bool {
	for p := n; p != nil; p = p.Parent() {
		if p.Equal(scope) {
			return true
		}
		if p.StartByte() < scope.StartByte() || p.EndByte() > scope.EndByte() {
			return false
		}
	}
	return false
}

func queryTypes(n *sitter.Node, key string, types []string) []*sitter.Node {
	v, _ := typeQueries.LoadOrStore(key, &typeQuery{})
	tq := v.(*typeQuery)
	tq.once.Do(func() {
		var src strings.Builder
		src.WriteString("[")
		for _, ty := range types {
			src.WriteString("(" + ty + ")")
		}
		src.WriteString("] @n")
		if q, err := sitter.NewQuery([]byte(src.String()), tsLanguage); err == nil {
			tq.q = q
		}
	})
	if tq.q == nil {
		var out []*sitter.Node
		Walk(n, func(c *sitter.Node) bool {
			for _, ty := range types {
				if c.Type() == ty {
					out = append(out, c)
					break
				}
			}
			return true
		})
		return out
	}
	qc := sitter.NewQueryCursor()
	defer qc.Close()
	qc.Exec(tq.q, n)
	type span struct {
		n          *sitter.Node
		start, end uint32
	}
	var out []span
	sorted := true
	for {
		m, ok := qc.NextMatch()
		if !ok {
			break
		}
		for _, c := range m.Captures {
			sp := span{c.Node, c.Node.StartByte(), c.Node.EndByte()}
			if k := len(out); k > 0 && before(sp.start, sp.end, out[k-1].start, out[k-1].end) {
				sorted = false
			}
			out = append(out, sp)
		}
	}
	// Pre-order: by start, then the enclosing (longer) node first. The
	// cursor reports single-node patterns in that order already.
	if !sorted {
		sort.SliceStable(out, func(i, j int) bool {
			return before(out[i].start, out[i].end, out[j].start, out[j].end)
		})
	}
	nodes := make([]*sitter.Node, len(out))
	for i, sp := range out {
		nodes[i] = sp.n
	}
	return nodes
}

// before reports whether a node spanning [s1, e1) comes strictly before one
// spanning [s2, e2) in pre-order.
func before(s1, e1, s2, e2 uint32) bool {
	if s1 != s2 {
		return s1 < s2
	}
	return e1 > e2
}
