// Fixture shaped like the compiled index of @astrojs/cloudflare 12.x (hand-written).
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { AstroError } from "astro/errors";
import { getPlatformProxy } from "wrangler";
import { setImageConfig } from "./utils/image-config.js";
function createIntegration(args) {
  let _config;
  return {
    name: "@astrojs/cloudflare",
    hooks: {
      "astro:config:setup": ({ command, config, updateConfig, logger }) => {
        updateConfig({
          image: setImageConfig(args?.imageService ?? "compile", config.image, command, logger),
          vite: {
            plugins: [{ name: "@astrojs/cloudflare:externals", resolveId(id) {
              if (id.startsWith("cloudflare:")) {
                return { id, external: true };
              }
            } }]
          }
        });
      },
      "astro:config:done": ({ setAdapter, config }) => {
        if (config.output === "static") {
          throw new AstroError('[@astrojs/cloudflare] `output: "server"` is required to use this adapter.');
        }
        _config = config;
        let customWorkerEntryPoint;
        if (args?.workerEntryPoint?.path) {
          const require2 = createRequire(config.root);
          customWorkerEntryPoint = pathToFileURL(require2.resolve(args.workerEntryPoint.path));
        }
        setAdapter({
          name: "@astrojs/cloudflare",
          serverEntrypoint: customWorkerEntryPoint ?? "@astrojs/cloudflare/entrypoints/server.js",
          exports: ["default"],
          adapterFeatures: { edgeMiddleware: false, buildOutput: "server" }
        });
      },
      "astro:server:setup": async ({ server }) => {
        if ((args?.platformProxy?.enabled ?? true) === true) {
          const platformProxy = await getPlatformProxy(args?.platformProxy);
          server.middlewares.use(async function middleware(req, _res, next) {
            Reflect.set(req, Symbol.for("astro.locals"), { runtime: { env: platformProxy.env } });
            next();
          });
        }
      }
    }
  };
}
export {
  createIntegration as default
};
