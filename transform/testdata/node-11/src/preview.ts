import type { CreatePreviewServer } from 'astro';
import { AstroError } from 'astro/errors';
import { createServer } from './standalone.js';

// Fixture shaped like the TypeScript preview server of @astrojs/node 11.x (hand-written).

type ServerModule = typeof import('./server.js');

const createPreviewServer: CreatePreviewServer = async (preview) => {
	let ssrHandler: ServerModule['handler'];
	process.env.ASTRO_NODE_AUTOSTART = 'disabled';
	const ssrModule: Partial<ServerModule> = await import(preview.serverEntrypoint.toString());
	if (typeof ssrModule.handler === 'function') {
		ssrHandler = ssrModule.handler;
	} else {
		throw new AstroError('The server entrypoint has no handler. Is it the right file?');
	}
	const host = process.env.HOST ?? preview.host ?? '0.0.0.0';
	const port = preview.port ?? 4321;
	const server = createServer(ssrHandler, host, port);
	await new Promise<void>((resolve, reject) => {
		server.server.once('listening', resolve);
		server.server.once('error', reject);
		server.server.listen(port, host);
	});
	return server;
};

export { createPreviewServer as default };
