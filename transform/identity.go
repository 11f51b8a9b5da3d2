package transform

import (
	"bytes"
	"fmt"
	"strings"

	sitter "github.com/smacker/go-tree-sitter"
	"github.com/zastro-dev/zastro/transform/engine"
)

// identity is how an adapter names itself: the package name and the
// specifiers under it ("@astrojs/node/server.js"), rewritten to the
// generated package on string-literal nodes only.
type identity struct {
	pkg    string // "@astrojs/node"
	newPkg string // "zastro-websockets-node"
}

// isName: the package name itself.
func (id identity) isName(v string) bool { return v == id.pkg }

// isSubpath: a specifier inside the package ("@astrojs/node/server.js").
func (id identity) isSubpath(v string) bool { return strings.HasPrefix(v, id.pkg+"/") }

// refers: the name or a subpath; not a log text like "[@astrojs/node] ...".
func (id identity) refers(v string) bool { return id.isName(v) || id.isSubpath(v) }

// rename rewrites one string literal that refers to the package.
func (id identity) rename(t *engine.Tree, m engine.Match) ([]engine.Edit, error) {
	n := m.Node
	v, ok := engine.StringValue(t, n)
	if !ok || !id.refers(v) {
		return nil, fmt.Errorf("%s is not a specifier of %s", t.Text(n), id.pkg)
	}
	e, err := engine.ReplaceStringContent(n, id.newPkg+strings.TrimPrefix(v, id.pkg))
	if err != nil {
		return nil, err
	}
	return []engine.Edit{e}, nil
}

// sourceFiles are the files a catch-all identity step reads: the TypeScript
// sources of a git checkout, else the compiled files of an npm tarball.
var sourceFiles = []string{
	"src/**/*.{ts,mts,cts,js,mjs,cjs}",
	"dist/**/*.{js,mjs,cjs}",
}

// declarationFiles are left out: tsc writes constructs the grammar cannot
// read (`import("http").Server<...>`), and the declaration steps (declarations.go) edit them as whole files.
var declarationFiles = []string{"**/*.d.{ts,mts,cts}"}

// specifierStep renames every string literal equal to the package name or
// starting with "<package>/" that the recipe's earlier steps leave.
func (id identity) specifierStep(adapter string) engine.Step {
	return engine.Step{
		Name:      adapter + "/identity-specifiers",
		Doc:       "rename every other string literal that is " + id.pkg + " or a specifier under it (log texts stay)",
		Files:     sourceFiles,
		Except:    declarationFiles,
		Want:      engine.AtLeast(0),
		Remainder: true,
		// A string literal's value is its text with escapes decoded: in a
		// file without a backslash, a value that names the package is in
		// the bytes as it is.
		MayMatch: func(src []byte) bool {
			return bytes.Contains(src, []byte(id.pkg)) || bytes.IndexByte(src, '\\') >= 0
		},
		Locate: engine.Nodes(func(t *engine.Tree) []*sitter.Node {
			return engine.StringLiterals(t, nil, id.refers)
		}),
		Edit: id.rename,
	}
}
