package transform

import (
	sitter "github.com/smacker/go-tree-sitter"
	"github.com/zastro-dev/zastro/adapters"
	"github.com/zastro-dev/zastro/transform/engine"
)

// nodeIndex is where @astrojs/node defines its integration: TypeScript in a
// git checkout, compiled JavaScript in the npm tarball.
var nodeIndex = []string{"src/index.ts", "dist/index.js"}

// nodeID is how @astrojs/node names itself, and the name it gets.
var nodeID = identity{pkg: adapters.Node.Package, newPkg: adapters.Node.Generated}

// nodeAdapterProperty locates the strings satisfying pred in property key of
// the object getAdapter returns.
func nodeAdapterProperty(key string, pred func(string) bool) func(*engine.Tree) []engine.Match {
	return engine.Nodes(func(t *engine.Tree) []*sitter.Node {
		return engine.PropertyStrings(t, engine.ReturnedBy(t, "getAdapter"), key, pred)
	})
}

// NodeSteps are the steps of the node recipe, which turns @astrojs/node into
// zastro-websockets-node: the package identity, then the WebSocket steps
// (node_ws.go).
var NodeSteps = append([]engine.Step{
	NodeIdentityIntegrationName,
	NodeIdentityAdapterName,
	NodeIdentityServerEntrypoint,
	NodeIdentityPreviewEntrypoint,
	NodeIdentitySpecifiers,
}, NodeWebSocketSteps...)

func nodeRecipe() engine.Recipe { return newRecipe(adapters.Node, NodeSteps, NodeDeclarationSteps) }

// NodeIdentityIntegrationName is the step "node/identity-integration-name".
var NodeIdentityIntegrationName = engine.Step{
	Name:  "node/identity-integration-name",
	Doc:   "rename the integration: property name of the object createIntegration returns",
	Files: nodeIndex,
	Want:  engine.Exactly(1),
	Locate: engine.Nodes(func(t *engine.Tree) []*sitter.Node {
		return engine.PropertyStrings(t, engine.ReturnedBy(t, "createIntegration"), "name", nodeID.isName)
	}),
	Edit: nodeID.rename,
}

// NodeIdentityAdapterName is the step "node/identity-adapter-name".
var NodeIdentityAdapterName = engine.Step{
	Name:   "node/identity-adapter-name",
	Doc:    "rename the adapter: property name of the object getAdapter returns",
	Files:  nodeIndex,
	Want:   engine.Exactly(1),
	Locate: nodeAdapterProperty("name", nodeID.isName),
	Edit:   nodeID.rename,
}

// NodeIdentityServerEntrypoint is the step "node/identity-server-entrypoint".
var NodeIdentityServerEntrypoint = engine.Step{
	Name:   "node/identity-server-entrypoint",
	Doc:    "point serverEntrypoint (in the object getAdapter returns) at the generated package",
	Files:  nodeIndex,
	Want:   engine.Exactly(1),
	Locate: nodeAdapterProperty("serverEntrypoint", nodeID.isSubpath),
	Edit:   nodeID.rename,
}

// NodeIdentityPreviewEntrypoint is the step "node/identity-preview-entrypoint".
var NodeIdentityPreviewEntrypoint = engine.Step{
	Name:   "node/identity-preview-entrypoint",
	Doc:    "point previewEntrypoint (in the object getAdapter returns) at the generated package",
	Files:  nodeIndex,
	Want:   engine.Exactly(1),
	Locate: nodeAdapterProperty("previewEntrypoint", nodeID.isSubpath),
	Edit:   nodeID.rename,
}

// NodeIdentitySpecifiers is the step "node/identity-specifiers".
var NodeIdentitySpecifiers = nodeID.specifierStep(adapters.Node.Name)
