// Middleware mode: your own node:http server, Astro's handler and
// upgradeHandler, and the connection manager configured before listening.
//   HOST=127.0.0.1 PORT=4321 node server.mjs
// The e2e reads the limits from $ZASTRO_CONNECTIONS (JSON).
import http from "node:http";
import { getConnectionManager } from "zastro-websockets-node/connection-manager";
import { handler, upgradeHandler } from "./dist-middleware/server/entry.mjs";

getConnectionManager(JSON.parse(process.env.ZASTRO_CONNECTIONS ?? "{}"));

const server = http.createServer((req, res) => handler(req, res));
server.on("upgrade", upgradeHandler);
server.listen(Number(process.env.PORT ?? 4321), process.env.HOST ?? "127.0.0.1", () => {
  console.log(`server.mjs: listening on ${JSON.stringify(server.address())}`);
});
