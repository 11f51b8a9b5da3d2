package transform

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

// rootNodesOfType is nodesOfType(t.Root, types...), kept on the Tree: the
// steps of a recipe search the same files for the same kinds of nodes. The
// slice is shared: callers must not modify it.
func (t *Tree) rootNodesOfType(types ...string) []*sitter.Node {
	key := strings.Join(types, " ")
	if nodes, ok := t.byType[key]; ok {
		return nodes
	}
	nodes := queryTypes(t.Root, key, types)
	if t.byType == nil {
		t.byType = map[string][]*sitter.Node{}
	}
	t.byType[key] = nodes
	return nodes
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

// scopedNodesOfType is nodesOfType over scope, nil meaning the whole file.
func (t *Tree) scopedNodesOfType(scope *sitter.Node, types ...string) []*sitter.Node {
	if scope == nil || scope.Equal(t.Root) {
		return t.rootNodesOfType(types...)
	}
	return nodesOfType(scope, types...)
}
