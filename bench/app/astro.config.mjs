import { defineConfig } from "astro/config"
import node from "zastro-websockets-node"

export default defineConfig({
  output: "server",
  adapter: node({ mode: "standalone" }),
  // The benchmark measures the WebSocket path, not Astro's dev toolbar or
  // telemetry.
  devToolbar: { enabled: false },
})
