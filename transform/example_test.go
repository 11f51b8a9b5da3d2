package transform_test

import (
	"fmt"

	"github.com/zastro-dev/zastro/transform"
	"github.com/zastro-dev/zastro/transform/engine"
)

func Example() {
	// A package shaped like @astrojs/node 11.x from npm, cut to the code the
	// recipe changes.
	files := map[string][]byte{
		"dist/index.js": []byte(`function getAdapter() {
  return {
    name: "@astrojs/node",
    serverEntrypoint: "@astrojs/node/server.js",
    previewEntrypoint: "@astrojs/node/preview.js"
  };
}
function createIntegration(userOptions) {
  return {
    name: "@astrojs/node",
    hooks: {
      "astro:config:done": ({ setAdapter }) => setAdapter(getAdapter())
    }
  };
}
export { createIntegration as default, getAdapter };
`),
		"dist/serve-app.js": []byte(`function createAppHandler(app) {
  return async (req, res, next, locals) => {
    await app.serve(req, res, next, locals);
  };
}
export { createAppHandler };
`),
		"dist/standalone.js": []byte(`function standalone(app, options) {
  const handler = createAppHandler(app);
  const server = createServer(handler, options.host, options.port);
  return server;
}
export { standalone as default };
`),
		"dist/preview.js": []byte(`const createPreviewServer = async (preview) => {
  const { handler } = await import(preview.serverEntrypoint.href);
  const server = createServer(handler, preview.host, preview.port);
  return server;
};
export { createPreviewServer as default };
`),
		"dist/server.js": []byte(`import * as options from "virtual:astro-node:config";
const handler = createMiddleware(app, options);
export { handler, options };
`),
	}
	recipe, _ := transform.RecipeFor("node")
	res := engine.Apply(recipe, engine.Input{Adapter: "node", Version: "11.1.6", Files: files})
	for _, m := range res.Errors {
		fmt.Println(m)
	}
	for _, name := range []string{"dist/index.js", "dist/serve-app.js", "dist/server.js"} {
		fmt.Print(engine.UnifiedDiff(name, files[name], res.Files[name]))
	}
	// Output:
	// --- a/dist/index.js
	// +++ b/dist/index.js
	// @@ -1,14 +1,16 @@
	// +/* zastro:node/dev-server-hook */ import { setupDevServer as __zastroSetupDevServer } from "./zastro/node/index.js";
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
	//  function createIntegration(userOptions) {
	//    return {
	// -    name: "@astrojs/node",
	// +    name: /* zastro:node/identity-integration-name */ "zastro-websockets-node",
	//      hooks: {
	// +		/* zastro:node/dev-server-hook */ "astro:server:setup": ({ server }) => __zastroSetupDevServer(server, userOptions),
	//        "astro:config:done": ({ setAdapter }) => setAdapter(getAdapter())
	//      }
	//    };
	// --- a/dist/serve-app.js
	// +++ b/dist/serve-app.js
	// @@ -1,5 +1,7 @@
	// +/* zastro:node/locals-app-handler */ import { prepareLocals as __zastroPrepareLocals } from "./zastro/node/index.js";
	//  function createAppHandler(app) {
	//    return async (req, res, next, locals) => {
	// +	/* zastro:node/locals-app-handler */ locals = __zastroPrepareLocals(req, locals);
	//      await app.serve(req, res, next, locals);
	//    };
	//  }
	// --- a/dist/server.js
	// +++ b/dist/server.js
	// @@ -1,3 +1,5 @@
	//  import * as options from "virtual:astro-node:config";
	// +/* zastro:node/server-upgrade-handler */ import { createUpgradeHandler as __zastroCreateUpgradeHandler } from "./zastro/node/index.js";
	//  const handler = createMiddleware(app, options);
	// -export { handler, options };
	// +/* zastro:node/server-upgrade-handler */ const upgradeHandler = __zastroCreateUpgradeHandler(handler, options);
	// +export { handler/* zastro:node/server-upgrade-handler */ , upgradeHandler, options };
}

func ExampleMessage_String() {
	files := map[string][]byte{
		"dist/index.js": []byte("function getAdapter() {\n  return { name: \"@astrojs/node\" };\n}\n"),
	}
	recipe, _ := transform.RecipeFor("node")
	res := engine.Apply(recipe, engine.Input{Adapter: "node", Version: "11.1.6", Files: files})
	fmt.Println(res.Errors[1])
	// Output:
	// dist/index.js:2:9: error: node@11.1.6: dist/index.js: step "node/identity-server-entrypoint": expected 1, found 0
	//   return { name: "@astrojs/node" };
	//          ^
	// note: the step: point serverEntrypoint (in the object getAdapter returns) at the generated package
	// note: shown: the deepest code the locator still found; upstream has changed below it
}
