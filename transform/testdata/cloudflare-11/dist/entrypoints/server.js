// Fixture shaped like the compiled server entry of @astrojs/cloudflare 10.x and 11.x (hand-written).
import { App } from 'astro/app';
export function createExports(manifest) {
    const app = new App(manifest);
    const fetch = async (request, env, context) => {
        const { pathname } = new URL(request.url);
        if (manifest.assets.has(pathname)) {
            return env.ASSETS.fetch(request.url.replace(/\.html$/, ''));
        }
        const routeData = app.match(request);
        const locals = {
            runtime: { env: env, cf: request.cf, caches: caches, ctx: { waitUntil: (promise) => context.waitUntil(promise) } },
        };
        const response = await app.render(request, { routeData, locals });
        if (app.setCookieHeaders) {
            for (const setCookieHeader of app.setCookieHeaders(response)) {
                response.headers.append('Set-Cookie', setCookieHeader);
            }
        }
        return response;
    };
    return { default: { fetch } };
}
