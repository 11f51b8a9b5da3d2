// src/pages/api/cluster.ts: the cluster view of this instance, and broadcasts
// and closes that reach every instance (the cluster e2e, e2e/cluster_test.go).
import type { APIRoute } from "astro";
import { getConnectionManager } from "zastro-websockets-node/connection-manager";

/** cluster:up / cluster:down as connections.mjs recorded them. */
const events = (): string[] => (globalThis as { zastroClusterEvents?: string[] }).zastroClusterEvents ?? [];

export const GET: APIRoute = async () => {
  const manager = getConnectionManager();
  return Response.json({
    cluster: await manager.getClusterStats(),
    events: events(),
    local: manager.getStats(),
  });
};

interface Command {
  action: "broadcast" | "close";
  message?: string;
  tag?: string;
  except?: string;
  code?: number;
  reason?: string;
}

export const POST: APIRoute = async ({ request }) => {
  const command = (await request.json()) as Command;
  const manager = getConnectionManager();
  if (command.action === "close") {
    const criteria = command.tag === undefined ? {} : { tags: [command.tag] };
    return Response.json({ closed: manager.closeConnections(criteria, command.code ?? 1000, command.reason ?? "") });
  }
  const message = command.message ?? "";
  const options = command.except === undefined ? {} : { except: command.except };
  const sent = command.tag === undefined ? manager.broadcast(message, options) : manager.broadcastToTag(command.tag, message, options);
  return Response.json({ sent });
};
