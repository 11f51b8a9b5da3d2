// `locals.isUpgradeRequest` and `locals.upgradeWebSocket()`, added to the
// locals of every request before Astro renders it.

import type { IncomingMessage } from "node:http"
import { notUpgradeError } from "../shared/handshake.js"
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
	const members = target as UpgradeLocals
	members.isUpgradeRequest = upgrade !== undefined
	members.upgradeWebSocket = function upgradeWebSocket(options) {
		if (upgrade === undefined) throw notUpgradeError(req.method, req.url)
		return upgrade.upgradeWebSocket(options)
	}
	return target
}
