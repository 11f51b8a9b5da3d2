package transform_test

import (
	"fmt"

	"github.com/zastro-dev/zastro/transform"
)

func Example() {
	files := map[string][]byte{
		"dist/index.js": []byte(`function getAdapter() {
  return {
    name: "@astrojs/node",
    serverEntrypoint: "@astrojs/node/server.js",
    previewEntrypoint: "@astrojs/node/preview.js"
  };
}
function createIntegration() {
  return { name: "@astrojs/node", hooks: {} };
}
export { createIntegration as default, getAdapter };
`),
	}
	recipe, _ := transform.RecipeFor("node")
	res := transform.Apply(recipe, transform.Input{Adapter: "node", Version: "11.1.6", Files: files})
	for _, m := range res.Errors {
		fmt.Println(m)
	}
	fmt.Print(transform.UnifiedDiff("dist/index.js", files["dist/index.js"], res.Files["dist/index.js"]))
	// Output:
	// --- a/dist/index.js
	// +++ b/dist/index.js
	// @@ -1,11 +1,11 @@
	//  function getAdapter() {
	//    return {
	// -    name: "@astrojs/node",
	// -    serverEntrypoint: "@astrojs/node/server.js",
	// -    previewEntrypoint: "@astrojs/node/preview.js"
	// +    name: /* zastro:node/identity-adapter-name */ "zastro-websockets-node",
	// +    serverEntrypoint: /* zastro:node/identity-server-entrypoint */ "zastro-websockets-node/server.js",
	// +    previewEntrypoint: /* zastro:node/identity-preview-entrypoint */ "zastro-websockets-node/preview.js"
	//    };
	//  }
	//  function createIntegration() {
	// -  return { name: "@astrojs/node", hooks: {} };
	// +  return { name: /* zastro:node/identity-integration-name */ "zastro-websockets-node", hooks: {} };
	//  }
	//  export { createIntegration as default, getAdapter };
}

func ExampleMessage_String() {
	files := map[string][]byte{
		"dist/index.js": []byte("function getAdapter() {\n  return { name: \"@astrojs/node\" };\n}\n"),
	}
	recipe, _ := transform.RecipeFor("node")
	res := transform.Apply(recipe, transform.Input{Adapter: "node", Version: "11.1.6", Files: files})
	fmt.Println(res.Errors[1])
	// Output:
	// dist/index.js:2:9: error: node@11.1.6: dist/index.js: step "node/identity-server-entrypoint": expected 1, found 0
	//   return { name: "@astrojs/node" };
	//          ^
	// note: the step: point serverEntrypoint (in the object getAdapter returns) at the generated package
	// note: shown: the deepest code the locator still found; upstream has changed below it
}
