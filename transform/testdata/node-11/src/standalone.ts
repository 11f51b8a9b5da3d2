import http from 'node:http';
import type { BaseApp } from 'astro/app';
import { createAppHandler } from './serve-app.js';
import type { Options } from './types.js';

// Fixture shaped like the TypeScript standalone server of @astrojs/node 11.x (hand-written).

export type HeadersMap = Map<string, Record<string, string>>;

export const hostOptions = (host: Options['host']): string =>
	typeof host === 'boolean' ? (host ? '0.0.0.0' : 'localhost') : host;

export default function standalone(
	app: BaseApp,
	options: Options,
	headersMap: HeadersMap | undefined,
) {
	const port = process.env.PORT ? Number(process.env.PORT) : (options.port ?? 8080);
	const host = process.env.HOST ?? hostOptions(options.host);
	const resolvedOptions = { ...options, port };
	const handler = createStandaloneHandler(app, resolvedOptions, headersMap);
	const server = createServer(handler, host, port);
	server.server.listen(port, host);
	return {
		server,
		done: server.closed(),
	};
}

export function createStandaloneHandler(
	app: BaseApp,
	options: Options,
	headersMap: HeadersMap | undefined,
): http.RequestListener {
	const appHandler = createAppHandler(app, options);
	return (req, res) => {
		for (const [name, value] of Object.entries(headersMap?.get(req.url ?? '/') ?? {})) {
			res.setHeader(name, value);
		}
		appHandler(req, res);
	};
}

export function createServer(listener: http.RequestListener, host: string, port: number) {
	const httpServer = http.createServer(listener);
	const closed = new Promise<void>((resolve) => httpServer.once('close', resolve));
	return {
		server: httpServer,
		host,
		port,
		closed: () => closed,
	};
}
