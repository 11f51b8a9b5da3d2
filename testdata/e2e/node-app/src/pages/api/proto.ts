import type { APIRoute } from "astro";

export const prerender = false;

// Subprotocol selection. ?select= chooses what the route passes:
//   (absent)  { protocol: "chat.v2" }: an explicit choice from the offer
//   first     no options: the first offered one, as ws does by default
//   none      { protocol: false }: none
// The server socket's protocol is the first message, so the client sees what
// both sides selected.
export const GET: APIRoute = (ctx) => {
  if (!ctx.locals.isUpgradeRequest) return new Response("Upgrade required", { status: 426 });
  const select = new URL(ctx.request.url).searchParams.get("select");
  const { socket, response } =
    select === "first"
      ? ctx.locals.upgradeWebSocket()
      : ctx.locals.upgradeWebSocket({ protocol: select === "none" ? false : "chat.v2" });
  socket.onopen = () => socket.send(`protocol:${socket.protocol}`);
  socket.onmessage = (event) => socket.send(event.data);
  return response;
};
