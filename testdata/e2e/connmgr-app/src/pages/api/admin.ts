// src/pages/api/admin.ts: statistics, and broadcasts from outside a socket.
import type { APIRoute } from "astro";
import { ConnectionManagerAPI, getConnectionManager } from "zastro-websockets-node/connection-manager";
import { WebSocketStats } from "zastro-websockets-node/stats";

export const GET: APIRoute = () =>
  Response.json({
    manager: ConnectionManagerAPI.getStats(),
    traffic: WebSocketStats.getConnectionStats(),
  });

export const POST: APIRoute = async ({ request }) => {
  const { tag, message } = (await request.json()) as { tag?: string; message: string };
  const manager = getConnectionManager();
  const sent = tag ? manager.broadcastToTag(tag, message) : manager.broadcast(message);
  return Response.json({ sent });
};
