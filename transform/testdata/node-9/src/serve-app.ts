import type { IncomingMessage, ServerResponse } from 'node:http';
import { NodeApp } from 'astro/app/node';

// Fixture shaped like the TypeScript serve-app of @astrojs/node 9.x (hand-written).

/** A listener for standalone and middleware mode; `next` comes from a middleware stack. */
export function createAppHandler(app: NodeApp) {
	return async (req: IncomingMessage, res: ServerResponse, next?: () => void, locals?: object) => {
		const request = NodeApp.createRequest(req);
		const route = app.match(request);
		if (route) {
			const response = await app.render(request, { addCookieHeader: true, locals, routeData: route });
			await NodeApp.writeResponse(response, res);
		} else if (next) {
			return next();
		} else {
			res.writeHead(404).end();
		}
	};
}
