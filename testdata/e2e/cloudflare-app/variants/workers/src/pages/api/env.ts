import type { APIRoute } from "astro";
import { env } from "cloudflare:workers";

export const prerender = false;

// A variable from the wrangler config, read in a WebSocket route the way
// @astrojs/cloudflare 13.x on documents it: env from "cloudflare:workers"
// (locals.runtime was removed). Read once in the route and again in
// onmessage, long after the route returned.
export const GET: APIRoute = (ctx) => {
  if (!ctx.locals.isUpgradeRequest) {
    return new Response(JSON.stringify({ greeting: env.ZASTRO_GREETING }), { headers: { "content-type": "application/json" } });
  }
  const { socket, response } = ctx.locals.upgradeWebSocket();
  const atUpgrade = env.ZASTRO_GREETING;
  socket.onmessage = () => {
    socket.send(JSON.stringify({ atUpgrade, inHandler: env.ZASTRO_GREETING }));
  };
  return response;
};
