// Fixture shaped like the compiled request handler of @astrojs/cloudflare 12.6+ (hand-written).
import { setGetEnv } from "astro/env/setup";
import { createGetEnv } from "../utils/env.js";
async function handle(manifest, app, request, env, context) {
  const { pathname } = new URL(request.url);
  if (manifest.assets.has(pathname)) {
    return env.ASSETS.fetch(request.url.replace(/\.html$/, ""));
  }
  const routeData = app.match(request);
  const locals = {
    runtime: { env, cf: request.cf, caches, ctx: { waitUntil: (promise) => context.waitUntil(promise) } }
  };
  setGetEnv(createGetEnv(env));
  const response = await app.render(request, {
    routeData,
    locals,
    prerenderedErrorPageFetch: async (url) => {
      return env.ASSETS.fetch(url.replace(/\.html$/, ""));
    }
  });
  if (app.setCookieHeaders) {
    for (const setCookieHeader of app.setCookieHeaders(response)) {
      response.headers.append("Set-Cookie", setCookieHeader);
    }
  }
  return response;
}
export {
  handle
};
