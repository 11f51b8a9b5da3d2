import http from 'node:http';
import { createAppHandler } from './serve-app.js';
// Fixture shaped like the compiled standalone server of @astrojs/node 8.x (hand-written).
export default function standalone(app, options) {
    const port = process.env.PORT ? Number(process.env.PORT) : options.port ?? 8080;
    const host = process.env.HOST ?? (typeof options.host === 'string' ? options.host : 'localhost');
    const handler = createStandaloneHandler(app, options);
    const server = createServer(handler, host, port);
    server.server.listen(port, host);
    return {
        server,
        done: server.closed(),
    };
}
export function createStandaloneHandler(app, options) {
    const appHandler = createAppHandler(app);
    return (req, res) => {
        appHandler(req, res);
    };
}
export function createServer(listener, host, port) {
    const server = http.createServer(listener);
    const closed = new Promise((resolve) => server.once('close', resolve));
    return {
        server,
        host,
        port,
        closed: () => closed,
        stop: () => new Promise((resolve) => server.close(() => resolve())),
    };
}
