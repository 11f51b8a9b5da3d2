// src/pages/api/chat.ts: one room per ?room=, everything said goes to the room.
import type { APIRoute } from "astro";
import { getConnectionId, getConnectionManager } from "zastro-websockets-node/connection-manager";

const manager = getConnectionManager();

export const GET: APIRoute = ({ locals, url }) => {
  if (!locals.isUpgradeRequest) return new Response("Upgrade required", { status: 426 });
  const { socket, response } = locals.upgradeWebSocket();
  const room = url.searchParams.get("room") ?? "lobby";
  const id = getConnectionId(socket);
  if (id) {
    manager.addConnectionTag(id, `room:${room}`);
    manager.setConnectionData(id, "name", url.searchParams.get("name") ?? "anonymous");
  }
  socket.onopen = () => socket.send(JSON.stringify({ type: "welcome", id, room }));
  socket.onmessage = (event) => {
    const name = id ? manager.getConnectionData<string>(id, "name") : "anonymous";
    manager.broadcastToTag(`room:${room}`, `${name}: ${event.data}`);
  };
  return response;
};
