import type { CreatePreviewServer } from 'astro';
import type { createExports } from './server.js';
import { createServer } from './standalone.js';

// Fixture shaped like the TypeScript preview server of @astrojs/node 9.x (hand-written).

type ServerModule = ReturnType<typeof createExports>;

const createPreviewServer: CreatePreviewServer = async (preview) => {
	let ssrHandler: ServerModule['handler'];
	const entry: Partial<ServerModule> = await import(preview.serverEntrypoint.toString());
	if (typeof entry.handler !== 'function') {
		throw new Error('the server entrypoint exports no handler');
	}
	ssrHandler = entry.handler;
	const host = preview.host ?? 'localhost';
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
