// Adds the `websocket` option to the adapter's own options type. Shipped at
// dist/zastro/node/ and referenced from dist/index.d.ts, where "../../types.js"
// is the adapter's options module.

import type { WebSocketOptions } from "./env.js"

declare module "../../types.js" {
	interface UserOptions {
		/**
		 * WebSocket settings of zastro-websockets-node: the largest message,
		 * the origins allowed to connect, and how long a route may take to
		 * answer a handshake.
		 */
		websocket?: WebSocketOptions
	}
}
