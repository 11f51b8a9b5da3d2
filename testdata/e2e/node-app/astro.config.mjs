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
    // allowedOrigins proves the options reach every mode: the suite expects
    // 403 for another Origin and 101 for this one (and for none).
    websocket: { maxPayload: 8 * 1024 * 1024, allowedOrigins: ["https://app.example"] },
  }),
  // No telemetry, no toolbar: nothing in the e2e reaches past 127.0.0.1.
  devToolbar: { enabled: false },
});
