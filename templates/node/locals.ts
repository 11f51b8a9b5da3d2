// `locals.isUpgradeRequest` and `locals.upgradeWebSocket()`, added to the
// locals of every request before Astro renders it.

import type { IncomingMessage } from "node:http"
import type { ServerWebSocket } from "../shared/websocket.js"
import { type UpgradeWebSocketOptions, upgradeOf } from "./handshake.js"

export interface UpgradeLocals {
	isUpgradeRequest: boolean
	upgradeWebSocket(options?: UpgradeWebSocketOptions): { socket: ServerWebSocket; response: Response }
}

/**
 * Returns `locals` (a new object when there is none) with both members set for
 * this request. The user's object and its other members are kept.
 */
export function prepareLocals(req: IncomingMessage, locals?: object | null): object {
	const target: object = typeof locals === "object" && locals !== null ? locals : {}
	const upgrade = upgradeOf(req)
	const members: UpgradeLocals = {
		isUpgradeRequest: upgrade !== undefined,
		upgradeWebSocket(options) {
			if (upgrade === undefined) {
				throw new Error(
					`locals.upgradeWebSocket() was called for ${req.method} ${req.url}, which is not a WebSocket upgrade request. ` +
						"Check `locals.isUpgradeRequest` first and answer other requests with a normal Response, " +
						'for example `new Response("Upgrade required", { status: 426 })`.',
				)
			}
			return upgrade.upgradeWebSocket(options)
		},
	}
	Object.assign(target, members)
	return target
}
