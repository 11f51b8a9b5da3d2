import { createApp } from 'astro/app/entrypoint';
import * as options from 'virtual:astro-node:config';
import createMiddleware from './middleware.js';
import _startServer, { createStandaloneHandler } from './standalone.js';

// Fixture shaped like the TypeScript server entry of @astrojs/node 11.x (hand-written).

const app = createApp({ streaming: !options.experimentalDisableStreaming });
const headersMap = undefined;

export { options };

export const handler = options.mode === 'middleware' ? createMiddleware(app, options) : createStandaloneHandler(app, options, headersMap);

export const startServer = () => _startServer(app, options, headersMap);

if (options.mode === 'standalone' && process.env.ASTRO_NODE_AUTOSTART !== 'disabled') {
	startServer();
}
