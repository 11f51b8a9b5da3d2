import http from 'node:http';
import type { NodeApp } from 'astro/app/node';
import { createAppHandler } from './serve-app.js';
import type { Options } from './types.js';

// Fixture shaped like the TypeScript standalone server of @astrojs/node 9.x (hand-written).

export default function standalone(app: NodeApp, options: Options) {
	const port = process.env.PORT ? Number(process.env.PORT) : (options.port ?? 8080);
	const host = process.env.HOST ?? (typeof options.host === 'string' ? options.host : 'localhost');
	const handler = createStandaloneHandler(app, options);
	const server = createServer(handler, host, port);
	server.server.listen(port, host);
	return {
		server,
		done: server.closed(),
	};
}

export function createStandaloneHandler(app: NodeApp, _options: Options): http.RequestListener {
	const appHandler = createAppHandler(app);
	return (req, res) => {
		appHandler(req, res);
	};
}

export function createServer(listener: http.RequestListener, host: string, port: number) {
	const server = http.createServer(listener);
	const closed = new Promise<void>((resolve) => server.once('close', resolve));
	return {
		server,
		host,
		port,
		closed: () => closed,
		stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
	};
}
