// Upgrade requests in production: the standalone server and middleware mode.
// Each upgrade request runs through upstream's own request handler, the one
// normal requests use, with an UpgradeSink in place of the ServerResponse.

import type { IncomingMessage, Server as HttpServer, ServerResponse } from "node:http"
import type { Server as HttpsServer } from "node:https"
import type { Duplex } from "node:stream"
import { WebSocketServer } from "ws"
import { logError } from "../shared/log.js"
import { type Admission, type ConnectionManager, processConnectionManager } from "./connection-manager.js"
import { classifyUpgrade, Handshake, upgradeOf } from "./handshake.js"
import { type AdapterOptions, isOriginAllowed, type ResolvedOptions, resolveOptions } from "./options.js"
import { ignoreSocketError, respondRaw, UpgradeSink } from "./sink.js"

/** Upstream's request handler: `(req, res)` standalone, `(req, res, next, locals)` middleware. */
export type RequestHandler = (
	req: IncomingMessage,
	res: ServerResponse,
	next?: (error?: unknown) => void,
	locals?: object,
) => unknown

/** What `upgradeHandler` is: a listener for the `upgrade` event of the user's own server. */
export type UpgradeHandler = (
	req: IncomingMessage,
	socket: Duplex,
	head: Buffer,
	next?: () => void,
	locals?: object,
) => void

/** Runs upgrade requests through a request handler; one per server. */
export class UpgradeEndpoint {
	readonly options: ResolvedOptions
	readonly #server: WebSocketServer
	readonly #connections: ConnectionManager

	constructor(options: AdapterOptions | null | undefined) {
		this.options = resolveOptions(options)
		// The adapter's `websocket.connections` switches the manager on at server start.
		this.#connections = processConnectionManager()
		if (this.options.connections !== undefined) {
			this.#connections.activate(this.options.connections, "the adapter's websocket.connections option")
		}
		this.#server = new WebSocketServer({
			noServer: true,
			clientTracking: false,
			maxPayload: this.options.maxPayload,
			handleProtocols: (_offered, req) => {
				const upgrade = upgradeOf(req)
				return (upgrade instanceof Handshake && upgrade.selectedProtocol) || false
			},
		})
		this.#server.on("headers", (lines, req) => {
			const upgrade = upgradeOf(req)
			if (upgrade instanceof Handshake && upgrade.responseHeaders.length > 0) lines.push(...upgrade.responseHeaders)
		})
	}

	/**
	 * Handles one `upgrade` event. `dispatch` hands the request to the app with
	 * the sink; a WebSocket upgrade becomes acceptable by `upgradeWebSocket()`,
	 * any other upgrade is answered as a plain request and closed.
	 */
	handle(
		req: IncomingMessage,
		socket: Duplex,
		head: Buffer,
		dispatch: (req: IncomingMessage, sink: UpgradeSink) => unknown,
	): void {
		socket.on("error", ignoreSocketError)
		const upgrade = classifyUpgrade(req)
		if (upgrade.kind === "invalid") {
			respondRaw(socket, upgrade.status, upgrade.message, upgrade.headers)
			return
		}
		if (upgrade.kind === "websocket" && !isOriginAllowed(this.options, req.headers.origin)) {
			respondRaw(socket, 403, "Origin not allowed")
			return
		}
		if (upgrade.kind === "websocket" && this.#connections.clustered) {
			// Cluster-wide limits are counted in Redis: the route runs once they answered.
			this.#connections.admitClustered(req).then(
				(verdict) => {
					if (!verdict.ok) return respondRaw(socket, verdict.status, verdict.message, verdict.headers)
					if (socket.destroyed) return verdict.admission.release()
					this.#dispatch(req, socket, head, upgrade.protocols, verdict.admission, dispatch)
				},
				(error: unknown) => {
					logError("Admitting a WebSocket handshake failed.", error)
					respondRaw(socket, 500, "Internal Server Error")
				},
			)
			return
		}
		let admission: Admission | undefined
		if (upgrade.kind === "websocket") {
			// Limits and the rate limit are checked before any route runs.
			const verdict = this.#connections.admit(req)
			if (!verdict.ok) {
				respondRaw(socket, verdict.status, verdict.message, verdict.headers)
				return
			}
			admission = verdict.admission
		}
		const handshake =
			upgrade.kind === "websocket"
				? new Handshake(req, socket, head, this.#server, upgrade.protocols, admission)
				: undefined
		const sink = new UpgradeSink(req, socket, handshake, this.options.responseTimeout)
		try {
			const result = dispatch(req, sink)
			if (isPromise(result)) result.catch((error: unknown) => sink.fail(error))
		} catch (error) {
			sink.fail(error)
		}
	}

	/** The rest of handle() for a WebSocket handshake admitted by the cluster backend. */
	#dispatch(
		req: IncomingMessage,
		socket: Duplex,
		head: Buffer,
		protocols: string[],
		admission: Admission,
		dispatch: (req: IncomingMessage, sink: UpgradeSink) => unknown,
	): void {
		const handshake = new Handshake(req, socket, head, this.#server, protocols, admission)
		const sink = new UpgradeSink(req, socket, handshake, this.options.responseTimeout)
		try {
			const result = dispatch(req, sink)
			if (isPromise(result)) result.catch((error: unknown) => sink.fail(error))
		} catch (error) {
			sink.fail(error)
		}
	}
}

/**
 * Standalone mode: serves WebSocket upgrades on upstream's server with the
 * same handler as its normal requests (static files, then the app).
 */
export function attachUpgrade(
	server: HttpServer | HttpsServer,
	handler: RequestHandler,
	options?: AdapterOptions | null,
): void {
	const endpoint = new UpgradeEndpoint(options)
	const dispatch = (request: IncomingMessage, sink: UpgradeSink) => handler(request, sink)
	server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
		endpoint.handle(req, socket, head, dispatch)
	})
}

/**
 * Middleware mode: a listener for `server.on("upgrade", upgradeHandler)` of the
 * user's own server. When no route matches, `next` gets the socket untouched;
 * without `next` the client gets a 404.
 */
export function createUpgradeHandler(handler: RequestHandler, options?: AdapterOptions | null): UpgradeHandler {
	const endpoint = new UpgradeEndpoint(options)
	return (req, socket, head, next, locals) => {
		endpoint.handle(req, socket, head, (request, sink) =>
			handler(
				request,
				sink,
				(error?: unknown) => {
					if (error !== undefined && error !== null) return sink.fail(error)
					if (next === undefined) return sink.notFound()
					sink.release()
					next()
				},
				locals,
			),
		)
	}
}

function isPromise(value: unknown): value is Promise<unknown> {
	return value instanceof Promise || (typeof value === "object" && value !== null && "catch" in value && "then" in value)
}

/**
 * For adapter generations whose server entry returns its exports from
 * `createExports()` (Astro 4 and 5): the same exports plus `upgradeHandler`,
 * built on the entry's own `handler`.
 */
export function withUpgradeHandler<T extends { handler: RequestHandler }>(
	exports: T,
	options?: AdapterOptions | null,
): T & { upgradeHandler: UpgradeHandler } {
	return { ...exports, upgradeHandler: createUpgradeHandler(exports.handler, options) }
}
