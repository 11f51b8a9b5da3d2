import type { APIRoute } from "astro";

export const prerender = false;

// Returning any Response other than upgradeWebSocket()'s rejects the upgrade:
// the client must see this status, header and body.
export const GET: APIRoute = (ctx) => {
  if (ctx.locals.isUpgradeRequest) {
    return new Response("nope", { status: 403, headers: { "x-reason": "test" } });
  }
  return new Response("reject route: not an upgrade", { status: 200 });
};
