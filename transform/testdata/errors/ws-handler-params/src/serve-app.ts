// The request handler lost its locals parameter: the recipe has nowhere to
// put the WebSocket members and must refuse.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NodeApp } from 'astro/app/node';

export function createAppHandler(app: NodeApp) {
	return async (req: IncomingMessage, res: ServerResponse, next?: () => void) => {
		const response = await app.render(app.createRequest(req));
		await app.writeResponse(response, res, next);
	};
}
