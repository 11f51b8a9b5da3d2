// The connection manager's e2e app (e2e/connmgr_test.go). The adapter's
// `websocket.connections` option switches the manager on at server start;
// connections.mjs (node --import) and server.mjs (middleware mode) add more.
//   ZASTRO_MODE     "standalone" (default) or "middleware"
//   ZASTRO_OUT_DIR  build output folder (default "./dist")
import { defineConfig } from "astro/config";
import node from "zastro-websockets-node";

export default defineConfig({
  output: "server",
  outDir: process.env.ZASTRO_OUT_DIR || "./dist",
  adapter: node({
    mode: process.env.ZASTRO_MODE ?? "standalone",
    websocket: {
      connections: { maxConnectionsPerIP: 5 },
    },
  }),
  devToolbar: { enabled: false },
});
