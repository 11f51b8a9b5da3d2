import { createServer } from './standalone.js';
// Fixture shaped like the compiled preview server of @astrojs/node 8.x (hand-written).
const createPreviewServer = async function (preview) {
    let ssrHandler;
    const entry = await import(preview.serverEntrypoint.toString());
    if (typeof entry.handler !== 'function') {
        throw new Error('the server entrypoint exports no handler');
    }
    ssrHandler = entry.handler;
    const host = preview.host ?? 'localhost';
    const port = preview.port ?? 4321;
    const server = createServer(ssrHandler, host, port);
    await new Promise((resolve, reject) => {
        server.server.once('listening', resolve);
        server.server.once('error', reject);
        server.server.listen(port, host);
    });
    return server;
};
export { createPreviewServer as default };
