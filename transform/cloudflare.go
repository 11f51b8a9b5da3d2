package transform

import (
	"strings"

	sitter "github.com/smacker/go-tree-sitter"
	"github.com/zastro-dev/zastro/adapters"
)

// cloudflareIndex is where @astrojs/cloudflare defines its integration.
var cloudflareIndex = []string{"src/index.ts", "dist/index.js"}

// cloudflareID is how @astrojs/cloudflare names itself, and the name it gets.
var cloudflareID = identity{pkg: adapters.Cloudflare.Package, newPkg: adapters.Cloudflare.Generated}

// cloudflareAdapterObjects returns the adapter: the object literal passed to
// setAdapter inside createIntegration (there is no getAdapter function).
func cloudflareAdapterObjects(t *Tree) []*sitter.Node {
	return Each(FunctionNamed(t, "createIntegration"), func(fn *sitter.Node) []*sitter.Node {
		return Each(CallsTo(t, fn, "setAdapter"), firstObjectArgument)
	})
}

// cloudflareAdapterProperty locates the strings satisfying pred in property
// key of the adapter object.
func cloudflareAdapterProperty(key string, pred func(string) bool) func(*Tree) []Match {
	return Nodes(func(t *Tree) []*sitter.Node {
		return propertyStrings(t, cloudflareAdapterObjects(t), key, pred)
	})
}

// cloudflareTypesRef is how, from 13.x, the integration injects its types:
// `/// <reference types="@astrojs/cloudflare/types.d.ts" />`.
var cloudflareTypesRef = `types="` + cloudflareID.pkg + "/"

// CloudflareSteps are the steps of the cloudflare recipe, which turns
// @astrojs/cloudflare into zastro-websockets-cloudflare: the package identity,
// then the WebSocket steps (cloudflare_ws.go).
var CloudflareSteps = append([]Step{
	CloudflareIdentityIntegrationName,
	CloudflareIdentityAdapterName,
	CloudflareIdentityServerEntrypoint,
	CloudflareIdentityPreviewEntrypoint,
	CloudflareIdentityTypesReference,
	CloudflareIdentitySpecifiers,
}, CloudflareWebSocketSteps...)

func cloudflareRecipe() Recipe {
	return newRecipe(adapters.Cloudflare, CloudflareSteps, CloudflareDeclarationSteps)
}

// CloudflareIdentityIntegrationName is the step "cloudflare/identity-integration-name".
var CloudflareIdentityIntegrationName = Step{
	Name:  "cloudflare/identity-integration-name",
	Doc:   "rename the integration: property name of the object createIntegration returns",
	Files: cloudflareIndex,
	Want:  Exactly(1),
	Locate: Nodes(func(t *Tree) []*sitter.Node {
		return propertyStrings(t, returnedBy(t, "createIntegration"), "name", cloudflareID.isName)
	}),
	Edit: cloudflareID.rename,
}

// CloudflareIdentityAdapterName is the step "cloudflare/identity-adapter-name".
var CloudflareIdentityAdapterName = Step{
	Name:   "cloudflare/identity-adapter-name",
	Doc:    "rename the adapter: property name of the object createIntegration passes to setAdapter",
	Files:  cloudflareIndex,
	Want:   Exactly(1),
	Locate: cloudflareAdapterProperty("name", cloudflareID.isName),
	Edit:   cloudflareID.rename,
}

// CloudflareIdentityServerEntrypoint is the step "cloudflare/identity-server-entrypoint".
var CloudflareIdentityServerEntrypoint = Step{
	Name:     "cloudflare/identity-server-entrypoint",
	Doc:      "point serverEntrypoint (passed to setAdapter) at the generated package",
	Files:    cloudflareIndex,
	Versions: adapters.CloudflareNoServerEntrypoint.Before(), // the first 13.0.0 pre-releases still name one
	Want:     Exactly(1),
	Locate:   cloudflareAdapterProperty("serverEntrypoint", cloudflareID.isSubpath),
	Edit:     cloudflareID.rename,
}

// CloudflareIdentityPreviewEntrypoint is the step "cloudflare/identity-preview-entrypoint".
var CloudflareIdentityPreviewEntrypoint = Step{
	Name:     "cloudflare/identity-preview-entrypoint",
	Doc:      "point previewEntrypoint (passed to setAdapter) at the generated package",
	Files:    cloudflareIndex,
	Versions: adapters.CloudflareWorkerdDev.From(),
	Want:     Exactly(1),
	Locate:   cloudflareAdapterProperty("previewEntrypoint", cloudflareID.isSubpath),
	Edit:     cloudflareID.rename,
}

// CloudflareIdentityTypesReference is the step "cloudflare/identity-types-reference".
var CloudflareIdentityTypesReference = Step{
	Name:     "cloudflare/identity-types-reference",
	Doc:      "point the injected types reference (content passed to injectTypes) at the generated package",
	Files:    cloudflareIndex,
	Versions: adapters.CloudflareWorkerdDev.From(),
	Want:     Exactly(1),
	Locate: Nodes(func(t *Tree) []*sitter.Node {
		objs := Each(FunctionNamed(t, "createIntegration"), func(fn *sitter.Node) []*sitter.Node {
			return Each(CallsTo(t, fn, "injectTypes"), firstObjectArgument)
		})
		return propertyStrings(t, objs, "content", func(v string) bool { return strings.Contains(v, cloudflareTypesRef) })
	}),
	Edit: func(t *Tree, m Match) ([]Edit, error) {
		v, _ := StringValue(t, m.Node)
		e, err := ReplaceStringContent(m.Node, strings.Replace(v, cloudflareTypesRef, `types="`+cloudflareID.newPkg+"/", 1))
		return []Edit{e}, err
	},
}

// CloudflareIdentitySpecifiers is the step "cloudflare/identity-specifiers".
var CloudflareIdentitySpecifiers = cloudflareID.specifierStep(adapters.Cloudflare.Name)

// firstObjectArgument returns a call's first argument when it is an object
// literal.
func firstObjectArgument(call *sitter.Node) []*sitter.Node {
	if args := Arguments(call); len(args) > 0 {
		if obj := Unwrap(args[0]); obj != nil && obj.Type() == "object" {
			return []*sitter.Node{obj}
		}
	}
	return nil
}
