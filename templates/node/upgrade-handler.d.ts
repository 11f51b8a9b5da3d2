// Public type of the `upgradeHandler` export of the server entry (middleware mode).

import type { IncomingMessage } from "node:http"
import type { Duplex } from "node:stream"

/**
 * A listener for the `upgrade` event of your own server:
 *
 * ```js
 * import { handler, upgradeHandler } from "./dist/server/entry.mjs"
 * const server = http.createServer(handler) // or app.listen(...) with Express
 * server.on("upgrade", upgradeHandler)
 * ```
 *
 * WebSocket handshakes reach your Astro routes. When no route matches, `next`
 * (if given) gets the request with the socket untouched; otherwise the client
 * gets a 404. `locals` is passed to the route like the handler's `locals`.
 */
export type UpgradeHandler = (
	req: IncomingMessage,
	socket: Duplex,
	head: Buffer,
	next?: () => void,
	locals?: object,
) => void
