// One WebSocket upgrade request, from the `upgrade` event to an open socket or
// a rejection. The route accepts by returning the Response that
// `upgradeWebSocket()` made; that Response carries a per-request token header
// because Astro may rebuild it (cookies, middleware) and undici forbids 101.

import { randomUUID } from "node:crypto"
import type { IncomingMessage } from "node:http"
import type { Duplex } from "node:stream"
import type { WebSocket, WebSocketServer } from "ws"
import { calledTwiceError, parseProtocols, selectProtocol } from "../shared/handshake.js"
import { createServerWebSocket, type ServerWebSocket, type SocketControl } from "../shared/websocket.js"
import type { Admission } from "./connection-manager.js"
import { bindWire } from "./wire.js"

/** Header that marks the accepting Response; it never reaches the client. */
export const UPGRADE_TOKEN_HEADER = "x-zastro-upgrade"

export interface UpgradeWebSocketOptions {
	/** One the client offered; left out, the first offered; false, none. */
	protocol?: string | false
}

/** What `locals.upgradeWebSocket()` needs; kept small so that copies of this module agree. */
export interface UpgradeRequest {
	upgradeWebSocket(options?: UpgradeWebSocketOptions): { socket: ServerWebSocket; response: Response }
}

// On globalThis so that a second copy of the runtime (bundled and external,
// or loaded by Vite in dev) still finds the upgrade of a request.
const REGISTRY = Symbol.for("zastro.websocket.upgrades")
const registry: WeakMap<IncomingMessage, UpgradeRequest> = ((globalThis as Record<symbol, unknown>)[REGISTRY] ??=
	new WeakMap()) as WeakMap<IncomingMessage, UpgradeRequest>

export function upgradeOf(req: IncomingMessage): UpgradeRequest | undefined {
	return registry.get(req)
}

const ACCEPTING_INIT: ResponseInit = { status: 200 }
const NO_HEADER_LINES: readonly string[] = Object.freeze([])

type State = "pending" | "accepted" | "rejected" | "gone"

// Tokens only need to be unique and not guessable from outside: one random
// prefix per process and a counter, rather than a UUID per handshake.
const TOKEN_PREFIX = randomUUID()
let tokens = 0

export class Handshake implements UpgradeRequest {
	readonly token: string = `${TOKEN_PREFIX}.${(++tokens).toString(36)}`
	readonly offeredProtocols: readonly string[]
	readonly #req: IncomingMessage
	// Let go of once ws has the connection: an open socket keeps nothing of its request.
	#socket: Duplex | undefined
	#head: Buffer | undefined
	readonly #server: WebSocketServer
	readonly #admission: Admission | undefined
	#state: State = "pending"
	#control: SocketControl | undefined
	#protocol: string | undefined
	#responseHeaders: readonly string[] = NO_HEADER_LINES

	/** `admission` is the connection manager's slot for this handshake. */
	constructor(
		req: IncomingMessage,
		socket: Duplex,
		head: Buffer,
		server: WebSocketServer,
		offeredProtocols: string[],
		admission?: Admission,
	) {
		this.#req = req
		this.#socket = socket
		this.#head = head
		this.#server = server
		this.#admission = admission
		this.offeredProtocols = offeredProtocols
		registry.set(req, this)
	}

	/** The subprotocol the route selected (by default the first offered), for ws's handleProtocols. */
	get selectedProtocol(): string | undefined {
		return this.#protocol
	}

	/** Header lines of the accepting Response (cookies and the like) for the 101. */
	get responseHeaders(): readonly string[] {
		return this.#responseHeaders
	}

	get settled(): boolean {
		return this.#state !== "pending"
	}

	upgradeWebSocket(options?: UpgradeWebSocketOptions): { socket: ServerWebSocket; response: Response } {
		if (this.#control !== undefined) throw calledTwiceError()
		const protocol = selectProtocol(options?.protocol, this.offeredProtocols)
		const { socket, control } = createServerWebSocket(socketUrl(this.#req))
		this.#control = control
		this.#protocol = protocol
		this.#admission?.bind(socket)
		if (this.#state === "gone" || this.#state === "rejected") control.abort()
		// Headers set after construction: half the allocation of a headers record
		// in the init, which goes through the record conversion of WebIDL.
		const response = new Response(null, ACCEPTING_INIT)
		response.headers.set(UPGRADE_TOKEN_HEADER, this.token)
		return { socket, response }
	}

	/**
	 * The route returned the accepting Response: ws writes the 101 and the
	 * socket opens. `headerLines` are extra "Name: value" lines for the 101.
	 */
	accept(headerLines: readonly string[]): void {
		if (this.#state !== "pending") return
		const control = this.#control
		if (control === undefined) return this.reject()
		const socket = this.#socket
		if (socket === undefined || this.#head === undefined) return this.reject()
		this.#state = "accepted"
		this.#responseHeaders = headerLines
		this.#server.handleUpgrade(this.#req, socket, this.#head, (ws: WebSocket) => {
			registry.delete(this.#req)
			this.#socket = undefined
			this.#head = undefined
			this.#responseHeaders = NO_HEADER_LINES
			compactListenerLists(socket)
			bindWire(ws, control, this.#admission?.open(ws))
		})
		// When ws refuses the handshake it answers and destroys the socket without calling back.
		if (socket.destroyed) this.#gone()
	}

	/** The route returned another Response: it is written to the client, the socket closes. */
	reject(): void {
		if (this.#state !== "pending") return
		this.#state = "rejected"
		registry.delete(this.#req)
		this.#admission?.release()
		this.#control?.abort()
	}

	/** The client left, the route took too long, or the request went elsewhere. */
	abandon(): void {
		if (this.#state === "accepted") {
			if (this.#socket?.destroyed) this.#gone()
			return
		}
		if (this.#state !== "pending") return
		this.#gone()
	}

	#gone(): void {
		this.#state = "gone"
		registry.delete(this.#req)
		this.#admission?.release()
		this.#control?.abort()
	}
}

/** What an `upgrade` event carries, judged before any route runs. */
export type UpgradeKind =
	| { readonly kind: "websocket"; readonly protocols: string[] }
	| { readonly kind: "other" }
	| { readonly kind: "invalid"; readonly status: number; readonly message: string; readonly headers?: Record<string, string> }

/** Checks a request the way ws will, so that a route never accepts a handshake ws would refuse. */
export function classifyUpgrade(req: IncomingMessage): UpgradeKind {
	const upgrade = req.headers.upgrade
	if (upgrade === undefined || upgrade.trim().toLowerCase() !== "websocket") return { kind: "other" }
	if (req.method !== "GET") {
		return { kind: "invalid", status: 405, message: "A WebSocket handshake must use GET." }
	}
	const key = req.headers["sec-websocket-key"]
	if (key === undefined || !/^[+/0-9A-Za-z]{22}==$/.test(key)) {
		return { kind: "invalid", status: 400, message: "Missing or invalid Sec-WebSocket-Key header." }
	}
	const version = req.headers["sec-websocket-version"]
	if (version !== "13" && version !== "8") {
		return {
			kind: "invalid",
			status: 400,
			message: "Missing or unsupported Sec-WebSocket-Version header.",
			headers: { "Sec-WebSocket-Version": "13, 8" },
		}
	}
	const protocols = parseProtocols(req.headers["sec-websocket-protocol"])
	if (protocols === undefined) {
		return { kind: "invalid", status: 400, message: "Invalid Sec-WebSocket-Protocol header." }
	}
	return { kind: "websocket", protocols }
}

// The last socket URL made, by what it was made from: handshakes to one
// route give the same text, kept once rather than parsed and stored per socket.
let lastUrl: { path: string | undefined; host: string | undefined; scheme: string; href: string } | undefined

function socketUrl(req: IncomingMessage): string {
	const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true
	const scheme = encrypted ? "wss" : "ws"
	const path = req.url
	const host = req.headers.host
	if (lastUrl !== undefined && lastUrl.path === path && lastUrl.host === host && lastUrl.scheme === scheme) return lastUrl.href
	let href: string
	try {
		href = new URL(path ?? "/", `${scheme}://${host ?? "localhost"}`).href
	} catch {
		href = `${scheme}://localhost/`
	}
	lastUrl = { path, host, scheme, href }
	return href
}

/**
 * Gives each of the socket's listener lists a copy of exactly its length.
 * An EventEmitter keeps two or more listeners of an event in an array that
 * grows by about half plus 16 slots when full and does not shrink: the
 * request handlers' `close` listeners, still on the socket when ws adds its
 * own, would leave each open connection with a 19-slot array for its two
 * remaining listeners. Same listeners, same order; done between emits.
 */
function compactListenerLists(socket: Duplex): void {
	const events = (socket as { _events?: unknown })._events
	if (typeof events !== "object" || events === null) return
	const lists = events as Record<string, unknown>
	for (const name of Object.keys(lists)) {
		const list = lists[name]
		if (Array.isArray(list) && list.length > 1) lists[name] = list.slice()
	}
}
