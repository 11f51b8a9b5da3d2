// `locals.isUpgradeRequest` and `locals.upgradeWebSocket()` in the worker, and
// the last step of the adapter's request handler that turns the route's
// accepting Response into the 101.

import { notUpgradeError } from "../shared/handshake.js"
import type { ServerWebSocket } from "../shared/websocket.js"
import { isRelayed } from "./dev-relay.js"
import { classifyRequest, Handshake, type UpgradeWebSocketOptions } from "./handshake.js"

export interface UpgradeLocals {
	isUpgradeRequest: boolean
	upgradeWebSocket(options?: UpgradeWebSocketOptions): { socket: ServerWebSocket; response: Response }
}

// On globalThis so that a second copy of the runtime in one worker bundle
// still finds the handshake of a request.
const REGISTRY = Symbol.for("zastro.cloudflare.upgrades")
/** The locals member, keyed by this symbol, that hands the upgrade to a room (room.ts). */
export const FORWARD = Symbol.for("zastro.cloudflare.forward")
const registry: WeakMap<Request, Handshake> = ((globalThis as Record<symbol, unknown>)[REGISTRY] ??=
	new WeakMap()) as WeakMap<Request, Handshake>

/**
 * Adds both members to the locals the adapter passes to Astro for this
 * request; upstream's own members (`runtime`, `cfContext`) are kept. Returns
 * `locals` (a new object when there is none).
 */
export function prepareLocals(request: Request, locals?: object | null): object {
	const target: object = typeof locals === "object" && locals !== null ? locals : {}
	let handshake = registry.get(request)
	if (handshake === undefined) {
		const kind = classifyRequest(request)
		if (kind.websocket) {
			handshake = new Handshake(request, kind.protocols, isRelayed(request))
			registry.set(request, handshake)
		}
	}
	const upgrade = handshake
	const members: UpgradeLocals = {
		isUpgradeRequest: upgrade !== undefined,
		upgradeWebSocket(options) {
			if (upgrade === undefined) throw notUpgradeError(request.method, request.url)
			return upgrade.upgradeWebSocket(options)
		},
	}
	Object.assign(target, members)
	// How toRoom (room.ts) reaches this request's handshake; not enumerable,
	// so it stays out of anything that walks the locals.
	Object.defineProperty(target, FORWARD, {
		configurable: true,
		enumerable: false,
		writable: true,
		value: upgrade === undefined ? undefined : (accepted: Response) => upgrade.forward(accepted),
	})
	return target
}

/**
 * The handler's final Response: for a WebSocket request whose route returned
 * `upgradeWebSocket()`'s response, the 101 with the socket; otherwise the
 * Response unchanged (a rejected upgrade reaches the client as it is).
 */
export function finishResponse(request: Request, response: Response): Response | Promise<Response>
export function finishResponse(request: Request, response: Promise<Response>): Promise<Response>
export function finishResponse(request: Request, response: Response | Promise<Response>): Response | Promise<Response> {
	if (isPromise(response)) {
		return response.then(
			(value) => finishResponse(request, value),
			(error: unknown) => {
				registry.get(request)?.fail()
				throw error
			},
		)
	}
	const handshake = registry.get(request)
	if (handshake === undefined) return response
	registry.delete(request)
	return handshake.settle(response)
}

function isPromise(value: unknown): value is Promise<Response> {
	return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function"
}
