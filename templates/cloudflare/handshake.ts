// One WebSocket upgrade request in the worker, from the request to a 101
// response carrying a WebSocketPair, or to a rejection. The route accepts by
// returning the Response that `upgradeWebSocket()` made; that Response carries
// a per-request token header because Astro and middleware may rebuild it
// (cookies, headers), and Astro's pipeline runs on platforms where a 101
// Response cannot be constructed. The adapter's request handler turns the
// accepting Response into the real 101 (see finishResponse).

import { calledTwiceError, parseProtocols, selectProtocol } from "../shared/handshake.js"
import { createServerWebSocket, type ServerWebSocket, type SocketControl } from "../shared/websocket.js"
import { relayProtocol, relayRejection, relayRoom, sendAcceptance } from "./dev-relay.js"
import { bindWire, type WorkerWebSocket } from "./wire.js"

/** Header that marks the accepting Response; it never reaches the client. */
export const UPGRADE_TOKEN_HEADER = "x-zastro-upgrade"

export interface UpgradeWebSocketOptions {
	/** One the client offered; left out, the first offered; false, none. */
	protocol?: string | false
}

/** The workerd globals this file uses (declared here: no @cloudflare/workers-types needed). */
declare const WebSocketPair: new () => { 0: WorkerWebSocket; 1: WorkerWebSocket }

// Headers of the accepting Response that must not reach the 101: the
// handshake's own headers belong to the runtime, the token is private.
const NOT_FORWARDED = new Set([
	UPGRADE_TOKEN_HEADER,
	"connection",
	"content-length",
	"content-type",
	"keep-alive",
	"sec-websocket-accept",
	"sec-websocket-extensions",
	"sec-websocket-protocol",
	"transfer-encoding",
	"upgrade",
])

export class Handshake {
	readonly token: string = crypto.randomUUID()
	readonly offeredProtocols: readonly string[]
	readonly #url: string
	#control: SocketControl | undefined
	#protocol: string | undefined
	// A Durable Object's 101 that the route handed the upgrade to (toRoom).
	#forwarded: Response | undefined
	#settled = false
	// `astro dev` on workerd: the answer goes to the adapter's relay (dev-relay.ts).
	readonly #relayed: boolean

	constructor(request: Request, offeredProtocols: string[], relayed = false) {
		this.#url = socketUrl(request.url)
		this.offeredProtocols = offeredProtocols
		this.#relayed = relayed
	}

	upgradeWebSocket(options?: UpgradeWebSocketOptions): { socket: ServerWebSocket; response: Response } {
		if (this.#control !== undefined || this.#forwarded !== undefined) throw calledTwiceError()
		const protocol = selectProtocol(options?.protocol, this.offeredProtocols)
		const { socket, control } = createServerWebSocket(this.#url)
		this.#control = control
		this.#protocol = protocol
		if (this.#settled) control.abort() // the request was already answered
		const response = new Response(null, { status: 200, headers: { [UPGRADE_TOKEN_HEADER]: this.token } })
		return { socket, response }
	}

	/**
	 * Hands the upgrade to a 101 Response that already carries a socket (a
	 * Durable Object's, see room.ts). Returns the accepting Response for the
	 * route; the 101 itself never enters Astro's pipeline, which may rebuild
	 * Responses and would lose its `webSocket`.
	 */
	forward(accepted: Response): Response {
		if (this.#control !== undefined || this.#forwarded !== undefined) throw calledTwiceError()
		this.#forwarded = accepted
		if (this.#settled) dropForwarded(accepted)
		return new Response(null, { status: 200, headers: { [UPGRADE_TOKEN_HEADER]: this.token } })
	}

	/**
	 * The handler's final Response for this request: the accepting Response
	 * becomes a 101 with the client end of a WebSocketPair, anything else is a
	 * rejection and goes to the client as it is.
	 */
	settle(response: Response): Response | Promise<Response> {
		if (this.#settled) return response
		this.#settled = true
		if (this.#forwarded !== undefined) {
			const settled = settleForwarded(this.token, response, this.#forwarded)
			if (!this.#relayed) return settled
			return settled.status === 101 ? relayRoom(settled, this.offeredProtocols) : relayRejection(settled, this.offeredProtocols)
		}
		const control = this.#control
		if (control === undefined || response.headers.get(UPGRADE_TOKEN_HEADER) !== this.token) {
			control?.abort()
			return this.#relayed ? relayRejection(response, this.offeredProtocols) : response
		}
		const headers = new Headers()
		response.headers.forEach((value, name) => {
			if (!NOT_FORWARDED.has(name.toLowerCase())) headers.append(name, value)
		})
		// Headers.forEach joins Set-Cookie values; keep them as separate lines.
		const cookies = getSetCookie(response.headers)
		if (cookies.length > 0) {
			headers.delete("set-cookie")
			for (const cookie of cookies) headers.append("set-cookie", cookie)
		}
		const pair = new WebSocketPair()
		const client = pair[0]
		const server = pair[1]
		server.accept()
		let protocol = this.#protocol
		if (this.#relayed) {
			sendAcceptance(server, protocol, headers) // first, before anything the route sends
			protocol = relayProtocol(protocol, this.offeredProtocols)
		}
		if (protocol !== undefined) headers.set("sec-websocket-protocol", protocol)
		bindWire(server, control, this.#protocol ?? "")
		return new Response(null, { status: 101, headers, webSocket: client } as ResponseInit)
	}

	/** The handler threw: the socket never opens. */
	fail(): void {
		if (this.#settled) return
		this.#settled = true
		this.#control?.abort()
		if (this.#forwarded !== undefined) dropForwarded(this.#forwarded)
	}
}

/** Whether a request asks for a WebSocket, and which subprotocols it offers. */
export function classifyRequest(request: Request): { websocket: true; protocols: string[] } | { websocket: false } {
	const upgrade = request.headers.get("upgrade")
	if (request.method !== "GET" || upgrade === null || upgrade.trim().toLowerCase() !== "websocket") {
		return { websocket: false }
	}
	// workerd validates the rest of the handshake (key, version) itself; a
	// malformed protocol list is treated as no offer.
	return { websocket: true, protocols: parseProtocols(request.headers.get("sec-websocket-protocol")) ?? [] }
}

function getSetCookie(headers: Headers): string[] {
	const get = (headers as Headers & { getSetCookie?: () => string[] }).getSetCookie
	return typeof get === "function" ? get.call(headers) : []
}

function socketUrl(url: string): string {
	try {
		const u = new URL(url)
		u.protocol = u.protocol === "https:" ? "wss:" : "ws:"
		return u.href
	} catch {
		return "ws://localhost/"
	}
}

/**
 * The final Response of a request whose route handed the upgrade to a room:
 * the room's 101 with its socket and the route's own headers (cookies), or,
 * when the route returned something else, that Response (the room's socket is
 * closed).
 */
function settleForwarded(token: string, response: Response, forwarded: Response): Response {
	if (response.headers.get(UPGRADE_TOKEN_HEADER) !== token) {
		dropForwarded(forwarded)
		return response
	}
	const headers = new Headers()
	response.headers.forEach((value, name) => {
		if (!NOT_FORWARDED.has(name.toLowerCase()) && name.toLowerCase() !== "set-cookie") headers.append(name, value)
	})
	for (const cookie of getSetCookie(response.headers)) headers.append("set-cookie", cookie)
	forwarded.headers.forEach((value, name) => {
		if (!NOT_FORWARDED.has(name.toLowerCase()) || name.toLowerCase() === "sec-websocket-protocol") headers.set(name, value)
	})
	const webSocket = (forwarded as Response & { webSocket?: unknown }).webSocket
	return new Response(null, { status: 101, headers, webSocket } as ResponseInit)
}

/** Closes the socket of a room's 101 that will not reach the client. */
function dropForwarded(forwarded: Response): void {
	const socket = (forwarded as Response & { webSocket?: WorkerWebSocket | null }).webSocket
	if (!socket) return
	try {
		socket.accept()
		socket.close(1011, "The route did not return the upgrade it handed to the room.")
	} catch {
		// already closed
	}
}
