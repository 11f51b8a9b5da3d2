// Public types of zastro-websockets-cloudflare: what `App.Locals` gains beside
// upstream's own members (`runtime` up to @astrojs/cloudflare 12.x,
// `cfContext` from 13.x). No lib.dom and no @cloudflare/workers-types needed.

import type { ServerWebSocket } from "../shared/server-websocket.js"

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
	/**
	 * The server end of the connection (a WebSocketPair underneath);
	 * `open` fires after `response` is returned.
	 */
	socket: ServerWebSocket
	/**
	 * Return this from the route to accept the upgrade: the worker answers
	 * 101 with the socket. Returning any other Response rejects it: that
	 * Response reaches the client, and `socket` gets `error` and `close`
	 * (code 1006). Cookies set on the context are sent with the 101.
	 */
	response: Response
}

declare global {
	namespace App {
		interface Locals {
			/**
			 * `true` when this request is a WebSocket handshake
			 * (`GET` with `Upgrade: websocket`) that `upgradeWebSocket()` can accept.
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
			 * Bindings are read as the adapter generation documents it:
			 * `locals.runtime.env` up to @astrojs/cloudflare 12.x,
			 * `import { env } from "cloudflare:workers"` from 13.x.
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
