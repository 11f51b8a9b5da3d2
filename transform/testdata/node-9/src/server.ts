import type { SSRManifest } from 'astro';
import { NodeApp } from 'astro/app/node';
import createMiddleware from './middleware.js';
import startServer, { createStandaloneHandler } from './standalone.js';
import type { Options } from './types.js';

export function createExports(manifest: SSRManifest, options: Options) {
	const app = new NodeApp(manifest);
	return {
		options: options,
		handler:
			options.mode === 'middleware' ? createMiddleware(app) : createStandaloneHandler(app, options),
		startServer: () => startServer(app, options),
	};
}

export function readHeaders(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch (e) {
		console.error("[@astrojs/node] Error parsing _headers.json: " + (e as Error).message);
		return undefined;
	}
}
