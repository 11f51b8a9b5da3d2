// Fixture shaped like the compiled index of @astrojs/node 10.x and 11.x (hand-written).
import { fileURLToPath } from "node:url";
import { AstroError } from "astro/errors";
import { createConfigPlugin } from "./vite-plugin-config.js";
function getAdapter({ staticHeaders }) {
  return {
    name: "@astrojs/node",
    entrypointResolution: "auto",
    serverEntrypoint: "@astrojs/node/server.js",
    previewEntrypoint: "@astrojs/node/preview.js",
    adapterFeatures: {
      buildOutput: "server",
      staticHeaders
    }
  };
}
function createIntegration(userOptions) {
  if (!userOptions?.mode) {
    throw new AstroError(`Setting the 'mode' option is required.`);
  }
  let _config = void 0;
  return {
    name: "@astrojs/node",
    hooks: {
      "astro:config:setup": async ({ updateConfig, config }) => {
        _config = config;
        updateConfig({
          session: { driver: "fs-lite", options: { base: fileURLToPath(new URL("sessions", config.cacheDir)) } },
          vite: { plugins: [createConfigPlugin({ ...userOptions, host: _config.server.host })] }
        });
      },
      "astro:config:done": ({ setAdapter, config }) => {
        _config = config;
        setAdapter(getAdapter({ staticHeaders: userOptions.staticHeaders ?? false }));
      }
    }
  };
}
export {
  createIntegration as default,
  getAdapter
};
