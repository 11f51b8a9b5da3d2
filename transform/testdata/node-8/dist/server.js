import { NodeApp } from 'astro/app/node';
import createMiddleware from './middleware.js';
import start, { createStandaloneHandler } from './standalone.js';
export function createExports(manifest, options) {
    const app = new NodeApp(manifest);
    return {
        options,
        handler: options.mode === 'middleware' ? createMiddleware(app) : createStandaloneHandler(app, options),
        startServer: () => start(app, options),
    };
}
export function logBadHeaders(e) {
    // a log text that mentions the package is not a specifier: left alone
    console.error('[@astrojs/node] could not read the headers file: ' + e.message);
}
