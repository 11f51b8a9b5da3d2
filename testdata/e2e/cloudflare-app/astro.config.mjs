// One Astro project for every @astrojs/cloudflare generation. Chosen by env:
//   ZASTRO_ADAPTER  package the adapter is imported from
//                   ("zastro-websockets-cloudflare" by default, "@astrojs/cloudflare" for upstream)
// The generation-specific files (wrangler config, the binding route) are
// copied in from variants/<runtime|workers>/ by the e2e test.
import { defineConfig } from "astro/config";

const adapterPackage = process.env.ZASTRO_ADAPTER || "zastro-websockets-cloudflare";
const { default: cloudflare } = await import(adapterPackage);

export default defineConfig({
  output: "server",
  // inspectorPort (13.x on; older generations ignore it): no debugger port, so
  // that two dev servers can start at once.
  adapter: cloudflare({ inspectorPort: false }),
  // No telemetry, no toolbar: nothing in the e2e reaches past 127.0.0.1.
  devToolbar: { enabled: false },
});
