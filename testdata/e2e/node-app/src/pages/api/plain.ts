import type { APIRoute } from "astro";

export const prerender = false;

// A plain HTTP route: isUpgradeRequest must be false here.
export const GET: APIRoute = (ctx) =>
  new Response(JSON.stringify({ isUpgradeRequest: ctx.locals.isUpgradeRequest }), {
    headers: { "content-type": "application/json" },
  });
