package transform

import (
	"strings"

	"github.com/zastro-dev/zastro/adapters"
	"github.com/zastro-dev/zastro/transform/engine"
)

// The declaration steps edit upstream's compiled declarations (dist/*.d.ts),
// which a git checkout does not hold: the assembler applies them, with
// DeclarationRecipe, once it has the declarations of the same version (the
// snapshot's own for npm, the published tarball's for git). They edit the
// files as a whole (Step.WholeFile): the grammar cannot read every
// tsc-emitted declaration file, and a reference directive or a declaration
// added at an end needs no more than the program root.

// programRoot locates the whole file.
func programRoot(t *engine.Tree) []engine.Match { return []engine.Match{{Node: t.Root}} }

// runtimeReferenceStep makes importing the adapter bring the runtime's types:
// App.Locals' new members and the `websocket` option. It prepends reference
// directives to dist/index.d.ts for the descriptor's TypeRefs.
func runtimeReferenceStep(d adapters.Adapter) engine.Step {
	var refs strings.Builder
	for _, name := range d.Runtime.TypeRefs {
		refs.WriteString(`/// <reference path="./` + d.RuntimeModule(name) + "\" />\n")
	}
	return engine.Step{
		Name:      d.Name + "/types-runtime-reference",
		Doc:       "reference the runtime's declarations from dist/index.d.ts, so that importing the adapter types locals.upgradeWebSocket() and the websocket option",
		Files:     []string{"dist/index.d.ts"},
		Want:      engine.Exactly(1),
		WholeFile: true,
		Locate:    programRoot,
		Edit: func(t *engine.Tree, m engine.Match) ([]engine.Edit, error) {
			return []engine.Edit{{Start: 0, End: 0, Text: refs.String()}}, nil
		},
	}
}

// NodeTypesRuntimeReference is the step "node/types-runtime-reference".
var NodeTypesRuntimeReference = runtimeReferenceStep(adapters.Node)

// NodeTypesUpgradeHandler is the step "node/types-upgrade-handler": the
// declaration of the export NodeServerUpgradeHandler adds.
var NodeTypesUpgradeHandler = engine.Step{
	Name:      "node/types-upgrade-handler",
	Doc:       "declare the upgradeHandler export of the server entry in dist/server.d.ts",
	Files:     []string{"dist/server.d.ts"},
	Versions:  NodeServerUpgradeHandler.Versions,
	Want:      engine.Exactly(1),
	WholeFile: true,
	Locate:    programRoot,
	Edit: func(t *engine.Tree, m engine.Match) ([]engine.Edit, error) {
		end := uint32(len(t.Src))
		text := "export declare const upgradeHandler: import(\"./" + adapters.Node.RuntimeModule("upgrade-handler.js") + "\").UpgradeHandler;\n"
		if end > 0 && t.Src[end-1] != '\n' {
			text = "\n" + text
		}
		return []engine.Edit{{Start: end, End: end, Text: text}}, nil
	},
}

// CloudflareTypesRuntimeReference is the step "cloudflare/types-runtime-reference".
var CloudflareTypesRuntimeReference = runtimeReferenceStep(adapters.Cloudflare)

// NodeDeclarationSteps and CloudflareDeclarationSteps are the declaration
// steps of each recipe, in order.
var (
	NodeDeclarationSteps       = []engine.Step{NodeTypesRuntimeReference, NodeTypesUpgradeHandler}
	CloudflareDeclarationSteps = []engine.Step{CloudflareTypesRuntimeReference}
)

// DeclarationRecipe is the recipe of r's declaration steps alone, for
// Apply over the package's declaration files.
func DeclarationRecipe(r engine.Recipe) engine.Recipe {
	return engine.Recipe{Adapter: r.Adapter, Package: r.Package, NewPackage: r.NewPackage, Supported: r.Supported, Steps: r.Declarations}
}
