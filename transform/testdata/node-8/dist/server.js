import { NodeApp } from 'astro/app/node';
import { startServer as start } from './standalone.js';
export function createExports(manifest, options) {
    const app = new NodeApp(manifest);
    return {
        options,
        startServer: () => start(app, options),
    };
}
export function logBadHeaders(e) {
    // a log text that mentions the package is not a specifier: left alone
    console.error('[@astrojs/node] could not read the headers file: ' + e.message);
}
