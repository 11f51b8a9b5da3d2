// Configures the connection manager before the standalone server starts:
//   node --import ./connections.mjs ./dist/server/entry.mjs
// The e2e reads the limits from $ZASTRO_CONNECTIONS (JSON); an application
// writes them out, as in docs/connection-manager.md.
import { getConnectionManager } from "zastro-websockets-node/connection-manager";

const manager = getConnectionManager(JSON.parse(process.env.ZASTRO_CONNECTIONS ?? "{}"));

manager.on("pool:full", (rejected) => console.warn(`refused ${rejected.ip}: ${rejected.reason}`));
manager.on("ratelimit:exceeded", (ip, attempts) => console.warn(`rate limit: ${ip}, attempt ${attempts}`));
manager.on("connection:removed", (id, reason) => console.log(`connection ${id} removed: ${reason}`));
