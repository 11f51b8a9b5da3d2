package transform

import (
	"strings"

	sitter "github.com/smacker/go-tree-sitter"
	"github.com/zastro-dev/zastro/adapters"
	"github.com/zastro-dev/zastro/transform/engine"
)

// cloudflareIndex is where @astrojs/cloudflare defines its integration.
var cloudflareIndex = []string{"src/index.ts", "dist/index.js"}

// cloudflareID is how @astrojs/cloudflare names itself, and the name it gets.
var cloudflareID = identity{pkg: adapters.Cloudflare.Package, newPkg: adapters.Cloudflare.Generated}

// cloudflareAdapterObjects returns the adapter: the object literal passed to
// setAdapter inside createIntegration (there is no getAdapter function).
func cloudflareAdapterObjects(t *engine.Tree) []*sitter.Node {
	return engine.Each(engine.FunctionNamed(t, "createIntegration"), func(fn *sitter.Node) []*sitter.Node {
		return engine.Each(engine.CallsTo(t, fn, "setAdapter"), firstObjectArgument)
	})
}

// cloudflareAdapterProperty locates the strings satisfying pred in property
// key of the adapter object.
func cloudflareAdapterProperty(key string, pred func(string) bool) func(*engine.Tree) []engine.Match {
	return engine.Nodes(func(t *engine.Tree) []*sitter.Node {
		return engine.PropertyStrings(t, cloudflareAdapterObjects(t), key, pred)
	})
}

// cloudflareTypesRef is how, from 13.x, the integration injects its types:
// `/// <reference types="@astrojs/cloudflare/types.d.ts" />`.
var cloudflareTypesRef = `types="` + cloudflareID.pkg + "/"

// CloudflareSteps are the steps of the cloudflare recipe, which turns
// @astrojs/cloudflare into zastro-websockets-cloudflare: the package identity,
// then the WebSocket steps (cloudflare_ws.go).
var CloudflareSteps = append([]engine.Step{
	CloudflareIdentityIntegrationName,
	CloudflareIdentityAdapterName,
	CloudflareIdentityServerEntrypoint,
	CloudflareIdentityPreviewEntrypoint,
	CloudflareIdentityTypesReference,
	CloudflareIdentitySpecifiers,
}, CloudflareWebSocketSteps...)

func cloudflareRecipe() engine.Recipe {
	return newRecipe(adapters.Cloudflare, CloudflareSteps, CloudflareDeclarationSteps)
}

// CloudflareIdentityIntegrationName is the step "cloudflare/identity-integration-name".
var CloudflareIdentityIntegrationName = engine.Step{
	Name:  "cloudflare/identity-integration-name",
	Doc:   "rename the integration: property name of the object createIntegration returns",
	Files: cloudflareIndex,
	Want:  engine.Exactly(1),
	Locate: engine.Nodes(func(t *engine.Tree) []*sitter.Node {
		return engine.PropertyStrings(t, engine.ReturnedBy(t, "createIntegration"), "name", cloudflareID.isName)
	}),
	Edit: cloudflareID.rename,
}

// CloudflareIdentityAdapterName is the step "cloudflare/identity-adapter-name".
var CloudflareIdentityAdapterName = engine.Step{
	Name:   "cloudflare/identity-adapter-name",
	Doc:    "rename the adapter: property name of the object createIntegration passes to setAdapter",
	Files:  cloudflareIndex,
	Want:   engine.Exactly(1),
	Locate: cloudflareAdapterProperty("name", cloudflareID.isName),
	Edit:   cloudflareID.rename,
}

// CloudflareIdentityServerEntrypoint is the step "cloudflare/identity-server-entrypoint".
var CloudflareIdentityServerEntrypoint = engine.Step{
	Name:     "cloudflare/identity-server-entrypoint",
	Doc:      "point serverEntrypoint (passed to setAdapter) at the generated package",
	Files:    cloudflareIndex,
	Versions: adapters.CloudflareNoServerEntrypoint.Before(), // the first 13.0.0 pre-releases still name one
	Want:     engine.Exactly(1),
	Locate:   cloudflareAdapterProperty("serverEntrypoint", cloudflareID.isSubpath),
	Edit:     cloudflareID.rename,
}

// CloudflareIdentityPreviewEntrypoint is the step "cloudflare/identity-preview-entrypoint".
var CloudflareIdentityPreviewEntrypoint = engine.Step{
	Name:     "cloudflare/identity-preview-entrypoint",
	Doc:      "point previewEntrypoint (passed to setAdapter) at the generated package",
	Files:    cloudflareIndex,
	Versions: adapters.CloudflareWorkerdDev.From(),
	Want:     engine.Exactly(1),
	Locate:   cloudflareAdapterProperty("previewEntrypoint", cloudflareID.isSubpath),
	Edit:     cloudflareID.rename,
}

// CloudflareIdentityTypesReference is the step "cloudflare/identity-types-reference".
var CloudflareIdentityTypesReference = engine.Step{
	Name:     "cloudflare/identity-types-reference",
	Doc:      "point the injected types reference (content passed to injectTypes) at the generated package",
	Files:    cloudflareIndex,
	Versions: adapters.CloudflareWorkerdDev.From(),
	Want:     engine.Exactly(1),
	Locate: engine.Nodes(func(t *engine.Tree) []*sitter.Node {
		objs := engine.Each(engine.FunctionNamed(t, "createIntegration"), func(fn *sitter.Node) []*sitter.Node {
			return engine.Each(engine.CallsTo(t, fn, "injectTypes"), firstObjectArgument)
		})
		return engine.PropertyStrings(t, objs, "content", func(v string) bool { return strings.Contains(v, cloudflareTypesRef) })
	}),
	Edit: func(t *engine.Tree, m engine.Match) ([]engine.Edit, error) {
		v, _ := engine.StringValue(t, m.Node)
		e, err := engine.ReplaceStringContent(m.Node, strings.Replace(v, cloudflareTypesRef, `types="`+cloudflareID.newPkg+"/", 1))
		return []engine.Edit{e}, err
	},
}

// CloudflareIdentitySpecifiers is the step "cloudflare/identity-specifiers".
var CloudflareIdentitySpecifiers = cloudflareID.specifierStep(adapters.Cloudflare.Name)

// firstObjectArgument returns a call's first argument when it is an object
// literal.
func firstObjectArgument(call *sitter.Node) []*sitter.Node {
	if args := engine.Arguments(call); len(args) > 0 {
		if obj := engine.Unwrap(args[0]); obj != nil && obj.Type() == "object" {
			return []*sitter.Node{obj}
		}
	}
	return nil
}
