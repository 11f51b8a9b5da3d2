// One Astro project for every major. Chosen at build time by env:
//   ZASTRO_ADAPTER  package the adapter is imported from
//                   ("zastro-websockets-node" by default, "@astrojs/node" for upstream)
//   ZASTRO_MODE     adapter mode: "standalone" (default) or "middleware"
//   ZASTRO_OUT_DIR  build output folder (default "./dist"), so both modes can be
//                   built side by side from one install.
import { defineConfig } from "astro/config";

const adapterPackage = process.env.ZASTRO_ADAPTER || "zastro-websockets-node";
const { default: node } = await import(adapterPackage);

export default defineConfig({
  output: "server",
  outDir: process.env.ZASTRO_OUT_DIR || "./dist",
  adapter: node({
    mode: process.env.ZASTRO_MODE ?? "standalone",
    // zastro option; upstream passes unknown options through untouched.
    websocket: { maxPayload: 8 * 1024 * 1024 },
  }),
  // No telemetry, no toolbar: nothing in the e2e reaches past 127.0.0.1.
  devToolbar: { enabled: false },
});
