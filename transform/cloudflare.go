package transform

import (
	"strings"

	sitter "github.com/smacker/go-tree-sitter"
	"github.com/zastro-dev/zastro/adapters"
)

// cloudflareIndex is where @astrojs/cloudflare defines its integration.
var cloudflareIndex = []string{"src/index.ts", "dist/index.js"}

// cloudflareRecipe turns @astrojs/cloudflare into zastro-websockets-cloudflare:
// the package identity steps, then the WebSocket steps (cloudflare_ws.go).
func cloudflareRecipe() Recipe {
	d := adapters.Cloudflare
	id := identity{pkg: d.Package, newPkg: d.Generated}
	// The adapter is the object literal passed to setAdapter inside
	// createIntegration (there is no getAdapter function).
	adapterObjects := func(t *Tree) []*sitter.Node {
		return Each(FunctionNamed(t, "createIntegration"), func(fn *sitter.Node) []*sitter.Node {
			return Each(CallsTo(t, fn, "setAdapter"), firstObjectArgument)
		})
	}
	adapterProperty := func(key string, pred func(string) bool) func(*Tree) []*sitter.Node {
		return func(t *Tree) []*sitter.Node { return propertyStrings(t, adapterObjects(t), key, pred) }
	}
	// From 13.x the integration injects `/// <reference types="@astrojs/cloudflare/types.d.ts" />`.
	typesRef := `types="` + id.pkg + "/"
	return newRecipe(d, []Step{
		{
			Name:  "cloudflare/identity-integration-name",
			Doc:   "rename the integration: property name of the object createIntegration returns",
			Files: cloudflareIndex,
			Want:  Exactly(1),
			Locate: func(t *Tree) []*sitter.Node {
				return propertyStrings(t, returnedBy(t, "createIntegration"), "name", id.isName)
			},
			Edit: id.rename,
		},
		{
			Name:   "cloudflare/identity-adapter-name",
			Doc:    "rename the adapter: property name of the object createIntegration passes to setAdapter",
			Files:  cloudflareIndex,
			Want:   Exactly(1),
			Locate: adapterProperty("name", id.isName),
			Edit:   id.rename,
		},
		{
			Name:     "cloudflare/identity-server-entrypoint",
			Doc:      "point serverEntrypoint (passed to setAdapter) at the generated package",
			Files:    cloudflareIndex,
			Versions: adapters.CloudflareNoServerEntrypoint.Before(), // the first 13.0.0 pre-releases still name one
			Want:     Exactly(1),
			Locate:   adapterProperty("serverEntrypoint", id.isSubpath),
			Edit:     id.rename,
		},
		{
			Name:     "cloudflare/identity-preview-entrypoint",
			Doc:      "point previewEntrypoint (passed to setAdapter) at the generated package",
			Files:    cloudflareIndex,
			Versions: adapters.CloudflareWorkerdDev.From(),
			Want:     Exactly(1),
			Locate:   adapterProperty("previewEntrypoint", id.isSubpath),
			Edit:     id.rename,
		},
		{
			Name:     "cloudflare/identity-types-reference",
			Doc:      "point the injected types reference (content passed to injectTypes) at the generated package",
			Files:    cloudflareIndex,
			Versions: adapters.CloudflareWorkerdDev.From(),
			Want:     Exactly(1),
			Locate: func(t *Tree) []*sitter.Node {
				objs := Each(FunctionNamed(t, "createIntegration"), func(fn *sitter.Node) []*sitter.Node {
					return Each(CallsTo(t, fn, "injectTypes"), firstObjectArgument)
				})
				return propertyStrings(t, objs, "content", func(v string) bool { return strings.Contains(v, typesRef) })
			},
			Edit: func(t *Tree, n *sitter.Node) ([]Edit, error) {
				v, _ := StringValue(t, n)
				e, err := ReplaceStringContent(n, strings.Replace(v, typesRef, `types="`+id.newPkg+"/", 1))
				return []Edit{e}, err
			},
		},
		id.specifierStep(d.Name),
	}, cloudflareWebSocketSteps())
}

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
