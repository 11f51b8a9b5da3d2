// One Astro project for every @astrojs/cloudflare generation. Chosen by env:
//   ZASTRO_ADAPTER  package the adapter is imported from
//                   ("zastro-websockets-cloudflare" by default, "@astrojs/cloudflare" for upstream)
// The generation-specific files (wrangler config, adapter options, the
// binding route) are copied in from variants/<runtime|workers>/ by the e2e test.
import { defineConfig } from "astro/config";
import adapterOptions from "./adapter-options.mjs";

const adapterPackage = process.env.ZASTRO_ADAPTER || "zastro-websockets-cloudflare";
const { default: cloudflare } = await import(adapterPackage);

export default defineConfig({
  output: "server",
  adapter: cloudflare(adapterOptions),
  // No telemetry, no toolbar: nothing in the e2e reaches past 127.0.0.1.
  devToolbar: { enabled: false },
  // A port taken meanwhile is an error, not a silent move to the next one.
  vite: { server: { strictPort: true } },
});
