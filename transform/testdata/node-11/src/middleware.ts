import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BaseApp } from 'astro/app';
import { createAppHandler } from './serve-app.js';
import type { Options } from './types.js';

// Fixture shaped like the TypeScript middleware of @astrojs/node 11.x (hand-written).

export default function createMiddleware(app: BaseApp, options: Options) {
	const handler = createAppHandler(app, options);
	return async (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void, locals?: object) => {
		try {
			return await handler(req, res, next, locals);
		} catch (err) {
			if (next) return next(err);
			throw err;
		}
	};
}
