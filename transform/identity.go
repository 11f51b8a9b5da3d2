package transform

import (
	"bytes"
	"fmt"
	"strings"

	sitter "github.com/smacker/go-tree-sitter"
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
func (id identity) rename(t *Tree, m Match) ([]Edit, error) {
	n := m.Node
	v, ok := StringValue(t, n)
	if !ok || !id.refers(v) {
		return nil, fmt.Errorf("%s is not a specifier of %s", t.Text(n), id.pkg)
	}
	e, err := ReplaceStringContent(n, id.newPkg+strings.TrimPrefix(v, id.pkg))
	if err != nil {
		return nil, err
	}
	return []Edit{e}, nil
}

// propertyStrings returns the string literals satisfying pred in the value of
// property key of each object: `key: "@astrojs/node"` as well as
// `key: custom ?? "@astrojs/node/server.js"`.
func propertyStrings(t *Tree, objs []*sitter.Node, key string, pred func(string) bool) []*sitter.Node {
	return Each(objs, func(obj *sitter.Node) []*sitter.Node {
		return Each(PropertyNamed(t, obj, key), func(p *sitter.Node) []*sitter.Node {
			return StringLiterals(t, PropertyValue(p), pred)
		})
	})
}

// returnedBy returns the objects that the functions called name return.
func returnedBy(t *Tree, name string) []*sitter.Node {
	return Each(FunctionNamed(t, name), func(fn *sitter.Node) []*sitter.Node {
		return ReturnedObjects(t, fn)
	})
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
func (id identity) specifierStep(adapter string) Step {
	return Step{
		Name:      adapter + "/identity-specifiers",
		Doc:       "rename every other string literal that is " + id.pkg + " or a specifier under it (log texts stay)",
		Files:     sourceFiles,
		Except:    declarationFiles,
		Want:      AtLeast(0),
		Remainder: true,
		// A string literal's value is its text with escapes decoded: in a
		// file without a backslash, a value that names the package is in
		// the bytes as it is.
		MayMatch: func(src []byte) bool {
			return bytes.Contains(src, []byte(id.pkg)) || bytes.IndexByte(src, '\\') >= 0
		},
		Locate: Nodes(func(t *Tree) []*sitter.Node {
			return StringLiterals(t, nil, id.refers)
		}),
		Edit: id.rename,
	}
}
