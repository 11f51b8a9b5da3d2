// Public types of zastro-websockets-node: what `App.Locals` gains, and the
// `websocket` adapter option. No lib.dom is needed.

import type { ServerWebSocket } from "../shared/server-websocket.js"
import type { ConnectionLimits } from "./connection-types.js"

export type {
	ServerWebSocket,
	ServerWebSocketBlob,
	ServerWebSocketCloseEvent,
	ServerWebSocketData,
	ServerWebSocketEvent,
	ServerWebSocketEventMap,
	ServerWebSocketListenerOptions,
	ServerWebSocketMessageEvent,
} from "../shared/server-websocket.js"

export interface UpgradeWebSocketOptions {
	/**
	 * The subprotocol to select from those the client offered in
	 * `Sec-WebSocket-Protocol` (`new WebSocket(url, ["chat.v1", "chat.v2"])`):
	 *
	 * - left out: the first one offered (`"chat.v1"`), or none when the
	 *   client offered none, as `ws` does without `handleProtocols`;
	 * - a string: that one; `upgradeWebSocket` throws when the client did
	 *   not offer it;
	 * - `false`: none. The 101 carries no `Sec-WebSocket-Protocol`, and a
	 *   client that offered subprotocols (browsers, Node's `WebSocket`) then
	 *   fails the connection, as the WebSocket standard requires.
	 *
	 * `socket.protocol` is the selected one, `""` for none.
	 */
	protocol?: string | false
}

export interface UpgradeWebSocketResult {
	/** The server end of the connection; `open` fires after `response` is returned. */
	socket: ServerWebSocket
	/**
	 * Return this from the route to accept the upgrade. Returning any other
	 * Response rejects it: that Response reaches the client, the connection
	 * closes, and `socket` gets `error` and `close` (code 1006). Cookies set
	 * on the context are sent with the 101 handshake.
	 */
	response: Response
}

/** The `websocket` option of the adapter: `node({ mode, websocket: { ... } })`. */
export interface WebSocketOptions {
	/**
	 * Largest message a client may send, in bytes. A larger one closes the
	 * connection with code 1009.
	 * @default 16777216 (16 MiB)
	 */
	maxPayload?: number
	/**
	 * Origins (`"https://example.com"`) whose pages may open WebSockets, or
	 * `"*"`. A handshake whose `Origin` is not listed gets 403 before any
	 * route runs. Requests without `Origin` (non-browser clients) are allowed.
	 * @default "*" (every origin)
	 */
	allowedOrigins?: readonly string[] | "*"
	/**
	 * Milliseconds a route may take to answer an upgrade request; after that
	 * the client gets 503 and the connection closes.
	 * @default 30000
	 */
	responseTimeout?: number
	/**
	 * Switches the connection manager on when the server starts, with these
	 * limits (`true`: its defaults): connection limits and the rate limit
	 * checked before any route runs (503, 429), idle cleanup, health checks
	 * and graceful shutdown on SIGTERM/SIGINT. Functions and listeners go
	 * through `getConnectionManager()` from
	 * `zastro-websockets-node/connection-manager`, which merges its options
	 * into these.
	 * @default undefined (the manager only counts, until `getConnectionManager()` is called)
	 */
	connections?: boolean | ConnectionLimits
}

declare global {
	namespace App {
		interface Locals {
			/**
			 * `true` when this request is a WebSocket handshake
			 * (`Upgrade: websocket`) that `upgradeWebSocket()` can accept.
			 */
			isUpgradeRequest: boolean
			/**
			 * Accepts the WebSocket handshake of this request. Return the
			 * `response` from the route; use the `socket` like a browser
			 * WebSocket:
			 *
			 * ```ts
			 * if (!locals.isUpgradeRequest) return new Response("Upgrade required", { status: 426 })
			 * const { socket, response } = locals.upgradeWebSocket()
			 * socket.onmessage = (event) => socket.send(event.data)
			 * return response
			 * ```
			 *
			 * Without `protocol` the client's first offered subprotocol is
			 * selected; `{ protocol: "x" }` selects another offered one,
			 * `{ protocol: false }` none.
			 *
			 * Throws when `isUpgradeRequest` is false, when called twice, and
			 * when `protocol` was not offered by the client.
			 */
			upgradeWebSocket(options?: UpgradeWebSocketOptions): UpgradeWebSocketResult
		}
	}
}
