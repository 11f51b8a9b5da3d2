// A user's astro.config.ts with zastro-websockets-node: importing the adapter is
// what brings its types (App.Locals, the `websocket` option) into the project.
import { defineConfig } from "astro/config"
import node from "zastro-websockets-node"

export default defineConfig({
  output: "server",
  adapter: node({
    mode: "standalone",
    websocket: { maxPayload: 1 << 20, allowedOrigins: ["https://example.com"] },
  }),
})
