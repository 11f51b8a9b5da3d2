package transform

import (
	sitter "github.com/smacker/go-tree-sitter"
	"github.com/zastro-dev/zastro/adapters"
)

// nodeIndex is where @astrojs/node defines its integration: TypeScript in a
// git checkout, compiled JavaScript in the npm tarball.
var nodeIndex = []string{"src/index.ts", "dist/index.js"}

// nodeRecipe turns @astrojs/node into zastro-websockets-node.
func nodeRecipe() Recipe {
	d := adapters.Node
	id := identity{pkg: d.Package, newPkg: d.Generated}
	adapterProperty := func(key string, pred func(string) bool) func(*Tree) []*sitter.Node {
		return func(t *Tree) []*sitter.Node {
			return propertyStrings(t, returnedBy(t, "getAdapter"), key, pred)
		}
	}
	return newRecipe(d, []Step{
		{
			Name:  "node/identity-integration-name",
			Doc:   "rename the integration: property name of the object createIntegration returns",
			Files: nodeIndex,
			Want:  Exactly(1),
			Locate: func(t *Tree) []*sitter.Node {
				return propertyStrings(t, returnedBy(t, "createIntegration"), "name", id.isName)
			},
			Edit: id.rename,
		},
		{
			Name:   "node/identity-adapter-name",
			Doc:    "rename the adapter: property name of the object getAdapter returns",
			Files:  nodeIndex,
			Want:   Exactly(1),
			Locate: adapterProperty("name", id.isName),
			Edit:   id.rename,
		},
		{
			Name:   "node/identity-server-entrypoint",
			Doc:    "point serverEntrypoint (in the object getAdapter returns) at the generated package",
			Files:  nodeIndex,
			Want:   Exactly(1),
			Locate: adapterProperty("serverEntrypoint", id.isSubpath),
			Edit:   id.rename,
		},
		{
			Name:   "node/identity-preview-entrypoint",
			Doc:    "point previewEntrypoint (in the object getAdapter returns) at the generated package",
			Files:  nodeIndex,
			Want:   Exactly(1),
			Locate: adapterProperty("previewEntrypoint", id.isSubpath),
			Edit:   id.rename,
		},
		id.specifierStep(d.Name),
	}, nodeWebSocketSteps())
}
