import type { APIRoute } from "astro";

export const prerender = false;

// Subprotocol negotiation: the server picks "chat.v2" from the client's offer.
export const GET: APIRoute = (ctx) => {
  if (!ctx.locals.isUpgradeRequest) return new Response("Upgrade required", { status: 426 });
  const { socket, response } = ctx.locals.upgradeWebSocket({ protocol: "chat.v2" });
  socket.onopen = () => socket.send(`protocol:${socket.protocol}`);
  socket.onmessage = (event) => socket.send(event.data);
  return response;
};
