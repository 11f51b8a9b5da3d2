import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BaseApp } from 'astro/app';
import { createRequest, writeResponse } from 'astro/app/node';
import type { Options } from './types.js';

// Fixture shaped like the TypeScript serve-app of @astrojs/node 11.x (hand-written).

/**
 * A listener for standalone and middleware mode; when a middleware stack
 * passes `next`, requests without a route go on to it.
 */
export function createAppHandler(app: BaseApp, options: Options) {
	const limit = options.bodySizeLimit === 0 ? undefined : options.bodySizeLimit;

	return async (
		req: IncomingMessage,
		res: ServerResponse,
		next?: (err?: unknown) => void,
		locals?: object,
	) => {
		let request: Request;
		try {
			request = createRequest(req, { bodySizeLimit: limit, port: options.port });
		} catch {
			res.writeHead(400).end();
			return;
		}
		const routeData = app.match(request, true);
		if (routeData) {
			await writeResponse(await app.render(request, { addCookieHeader: true, locals, routeData }), res);
		} else if (next) {
			return next();
		} else {
			await writeResponse(await app.render(request, { addCookieHeader: true }), res);
		}
	};
}
