package transform

import (
	"fmt"
	"sync"

	sitter "github.com/smacker/go-tree-sitter"
)

// A query finds every node of a few types below a node inside tree-sitter
// itself, one call per match: much cheaper than visiting each node of a
// large file from Go (Walk), which costs several cgo calls per node. Queries
// are compiled once per process; a compiled query is read-only and serves
// concurrent cursors.
type query struct {
	source string
	once   sync.Once
	q      *sitter.Query
}

var (
	// stringsQuery: string literals, quoted and template (a template's
	// substitutions may hold more of them, which match too).
	stringsQuery = query{source: `[(string) (template_string)] @s`}
	// commentsQuery: comments, where marker comments live.
	commentsQuery = query{source: `(comment) @c`}
)

func (q *query) compiled() *sitter.Query {
	q.once.Do(func() {
		c, err := sitter.NewQuery([]byte(q.source), tsLanguage)
		if err != nil {
			panic(fmt.Sprintf("transform: query %s: %v", q.source, err)) // a fixed query: a programming error
		}
		q.q = c
	})
	return q.q
}

// queryNodes returns the nodes that q captures in n's subtree (n included),
// in source order, outer nodes before the nodes they contain.
func queryNodes(q *query, n *sitter.Node) []*sitter.Node {
	if n == nil {
		return nil
	}
	qc := sitter.NewQueryCursor()
	defer qc.Close()
	qc.Exec(q.compiled(), n)
	var out []*sitter.Node
	for {
		m, ok := qc.NextMatch()
		if !ok {
			return out
		}
		for _, c := range m.Captures {
			out = append(out, c.Node)
		}
	}
}
