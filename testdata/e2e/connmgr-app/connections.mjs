// Configures the connection manager before the standalone server starts:
//   node --import ./connections.mjs ./dist/server/entry.mjs
// The e2e reads the limits from $ZASTRO_CONNECTIONS (JSON); an application
// writes them out, as in docs/connection-manager.md.
import { getConnectionManager } from "zastro-websockets-node/connection-manager";

const manager = getConnectionManager(JSON.parse(process.env.ZASTRO_CONNECTIONS ?? "{}"));

manager.on("pool:full", (rejected) => console.warn(`refused ${rejected.ip}: ${rejected.reason}`));
manager.on("ratelimit:exceeded", (ip, attempts) => console.warn(`rate limit: ${ip}, attempt ${attempts}`));
manager.on("connection:removed", (id, reason) => console.log(`connection ${id} removed: ${reason}`));

// With a `cluster` member in $ZASTRO_CONNECTIONS (e2e/cluster_test.go), the
// cluster backend's events are kept for /api/cluster to report.
const clusterEvents = [];
globalThis.zastroClusterEvents = clusterEvents;
manager.on("cluster:up", (instanceId) => {
  clusterEvents.push("up");
  console.log(`cluster up: ${instanceId}`);
});
manager.on("cluster:down", (error) => {
  clusterEvents.push("down");
  console.warn(`cluster down: ${error?.message ?? "connection lost"}`);
});
