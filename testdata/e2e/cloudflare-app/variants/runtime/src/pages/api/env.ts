import type { APIRoute } from "astro";

export const prerender = false;

// A variable from the wrangler config, read in a WebSocket route the way
// @astrojs/cloudflare 10.x to 12.x documents it: locals.runtime.env. Read once
// in the route and again in onmessage, long after the route returned.
export const GET: APIRoute = (ctx) => {
  const env = ctx.locals.runtime.env;
  if (!ctx.locals.isUpgradeRequest) {
    return new Response(JSON.stringify({ greeting: env.ZASTRO_GREETING }), { headers: { "content-type": "application/json" } });
  }
  const { socket, response } = ctx.locals.upgradeWebSocket();
  const atUpgrade = env.ZASTRO_GREETING;
  socket.onmessage = () => {
    socket.send(JSON.stringify({ atUpgrade, inHandler: ctx.locals.runtime.env.ZASTRO_GREETING }));
  };
  return response;
};
