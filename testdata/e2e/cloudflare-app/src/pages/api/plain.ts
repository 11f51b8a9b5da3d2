import type { APIRoute } from "astro";

export const prerender = false;

// A plain HTTP route: isUpgradeRequest must be false here, and
// upgradeWebSocket() must throw an Error that says what to do.
export const GET: APIRoute = (ctx) => {
  let error = "";
  try {
    ctx.locals.upgradeWebSocket();
  } catch (e) {
    error = e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e);
  }
  return new Response(JSON.stringify({ isUpgradeRequest: ctx.locals.isUpgradeRequest, error }), {
    headers: { "content-type": "application/json" },
  });
};
