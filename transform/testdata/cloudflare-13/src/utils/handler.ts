// Fixture shaped like the TypeScript request handler of @astrojs/cloudflare 13.x (hand-written).
import { env as globalEnv } from 'cloudflare:workers';
import { createApp } from 'astro/app/entrypoint';
import type { ExecutionContext } from '@cloudflare/workers-types';
import { createLocals, matchStaticAsset } from './cf.js';

const app = createApp();

export async function handle(request: Request, env: Env, context: ExecutionContext): Promise<Response> {
	const staticAsset = matchStaticAsset(app.manifest, request.url, env);
	if (staticAsset) return staticAsset;
	const routeData = app.match(request);
	if (!routeData) {
		const asset = await env.ASSETS.fetch(request.url);
		if (asset.status !== 404) return asset;
	}
	const locals = createLocals(context);
	const response = await app.render(request, { routeData, locals, waitUntil: context.waitUntil.bind(context) });
	if (app.setCookieHeaders) {
		for (const setCookieHeader of app.setCookieHeaders(response)) {
			response.headers.append('Set-Cookie', setCookieHeader);
		}
	}
	return applyHeaders(response, globalEnv);
}

function applyHeaders(response: Response, _env: unknown): Response {
	return response;
}
