import type { APIRoute } from "astro";
import { toRoom } from "zastro-websockets-cloudflare/room";

export const prerender = false;

// Hands the upgrade to the room's Durable Object (10.x to 12.x: bindings on
// locals.runtime.env).
//   ?room=R      room name (one Durable Object per name)
//   ?name=N      the member's name, kept with the socket (socket.data)
//   ?tag=G       tags of the socket (repeatable)
//   ?protocol=P  subprotocol to select
export const GET: APIRoute = (ctx) => {
  if (!ctx.locals.isUpgradeRequest) return new Response("Upgrade required", { status: 426 });
  const params = ctx.url.searchParams;
  const rooms = ctx.locals.runtime.env.ROOMS;
  const room = rooms.get(rooms.idFromName(params.get("room") ?? "lobby"));
  ctx.cookies.set("zastro-room", "1", { path: "/" });
  return toRoom(ctx, room, {
    tags: params.getAll("tag"),
    data: { name: params.get("name") ?? "anonymous" },
    protocol: params.get("protocol") ?? undefined,
  });
};
