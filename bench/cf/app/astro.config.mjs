import { defineConfig } from "astro/config"
import cloudflare from "zastro-websockets-cloudflare"

export default defineConfig({
  output: "server",
  // No inspector port: the plain Worker's wrangler dev runs beside it.
  adapter: cloudflare({ inspectorPort: false }),
  // The benchmark measures the WebSocket path, not Astro's dev toolbar.
  devToolbar: { enabled: false },
})
