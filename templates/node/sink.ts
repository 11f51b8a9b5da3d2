// The response object that upstream's own handler writes an upgrade request's
// answer to. It sits on the raw socket of the `upgrade` event: the accepting
// Response (recognised by its token header) becomes the 101 handshake, any
// other Response is written as is and the connection closes after it.

import {
	type IncomingMessage,
	type OutgoingHttpHeader,
	type OutgoingHttpHeaders,
	ServerResponse,
	STATUS_CODES,
	validateHeaderName,
	validateHeaderValue,
} from "node:http"
import type { Socket } from "node:net"
import type { Duplex } from "node:stream"
import { logError } from "../shared/log.js"
import { type Handshake, UPGRADE_TOKEN_HEADER } from "./handshake.js"

type HeadersArgument = OutgoingHttpHeaders | OutgoingHttpHeader[]
type Callback = (error?: Error | null) => void

// Headers of the accepting Response that must not reach the 101: framing and
// handshake headers belong to ws, the token is private.
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

/**
 * - `open`: nothing decided yet.
 * - `accepted`: the handshake went to ws; later writes are dropped.
 * - `written`: a rejection is being written through ServerResponse.
 * - `closed`: the runtime answered or let go of the socket; later writes are dropped.
 */
type Decision = "open" | "accepted" | "written" | "closed"

/**
 * The `error` listener that every upgrade socket gets until `ws` or a
 * response owns it: a reset shows as `close`, it must not crash the server.
 * One function for all sockets, so that it keeps nothing alive and can be
 * taken off again.
 */
export function ignoreSocketError(): void {}

let decided!: (sink: UpgradeSink) => boolean
// Listeners and callbacks shared by all sinks (set in the class's static block,
// where they can reach its private members): none made per response.
let sinkClosed!: (this: UpgradeSink) => void
let sinkFinished!: (this: UpgradeSink) => void
let sinkTimedOut!: (sink: UpgradeSink) => void

export class UpgradeSink extends ServerResponse {
	readonly #socket: Duplex
	readonly #handshake: Handshake | undefined
	readonly #timer: NodeJS.Timeout
	readonly #responseTimeout: number
	#decision: Decision = "open"
	#ended = false

	static {
		decided = (sink) => sink.#decision === "accepted" || sink.#decision === "closed"
		sinkClosed = function (this: UpgradeSink) {
			this.off("close", sinkClosed)
			clearTimeout(this.#timer)
			this.#handshake?.abandon()
		}
		sinkFinished = function (this: UpgradeSink) {
			this.off("finish", sinkFinished)
			const socket = this.#socket
			if (this.#decision === "written") socket.end(() => socket.destroy())
		}
		sinkTimedOut = (sink) => sink.#timedOut()
	}

	/** The socket must already have ignoreSocketError as an `error` listener. */
	constructor(req: IncomingMessage, socket: Duplex, handshake: Handshake | undefined, responseTimeout: number) {
		super(req)
		this.#socket = socket
		this.#handshake = handshake
		this.shouldKeepAlive = false // Node then sends `Connection: close`
		this.assignSocket(socket as Socket)
		this.#responseTimeout = responseTimeout
		this.#timer = setTimeout(sinkTimedOut, responseTimeout, this)
		this.#timer.unref()
		// While the socket is assigned, ServerResponse reports its close as
		// this response's `close`: no listener of our own on the socket, whose
		// listener list ws then gets as it would from a plain server.
		this.on("close", sinkClosed)
		this.on("finish", sinkFinished)
	}

	override writeHead(statusCode: number, reason?: string | HeadersArgument, headers?: HeadersArgument): this {
		if (this.#decision === "accepted" || this.#decision === "closed") return this
		let given = typeof reason === "string" ? headers : reason
		if (this.#decision === "open") {
			clearTimeout(this.#timer)
			if (this.#handshake && statusCode >= 200 && statusCode < 300 && this.#carriesToken(given)) {
				this.#accept(given)
				return this
			}
			this.#decision = "written"
			this.#handshake?.reject()
			this.removeHeader(UPGRADE_TOKEN_HEADER)
			given = withoutToken(given)
		}
		return typeof reason === "string" ? super.writeHead(statusCode, reason, given) : super.writeHead(statusCode, given)
	}

	override write(...args: unknown[]): boolean {
		if (this.#decision === "accepted" || this.#decision === "closed") {
			const callback = args.find((arg): arg is Callback => typeof arg === "function")
			if (callback) process.nextTick(callback, null)
			return true
		}
		return (ServerResponse.prototype.write as (this: ServerResponse, ...args: unknown[]) => boolean).apply(this, args)
	}

	override end(...args: unknown[]): this {
		if (this.#decision === "accepted" || this.#decision === "closed") {
			const callback = args.find((arg): arg is () => void => typeof arg === "function")
			if (!this.#ended) {
				this.#ended = true
				this.finished = true
				process.nextTick(emitFinishAndClose, this)
			}
			if (callback) process.nextTick(callback)
			return this
		}
		return (ServerResponse.prototype.end as (this: ServerResponse, ...args: unknown[]) => this).apply(this, args)
	}

	/** No route matched and there is no `next` to hand the request to: a real 404. */
	notFound(): void {
		if (this.#decision !== "open") return
		this.statusCode = 404
		this.setHeader("Content-Type", "text/plain; charset=utf-8")
		this.end("Not Found")
	}

	/** The handler threw: a 500 when nothing was written yet, else the connection is cut. */
	fail(error: unknown): void {
		logError(`The handler of the upgrade request ${this.req.method} ${this.req.url} failed:`, error)
		if (this.#decision === "open") {
			this.#close()
			respondRaw(this.#socket, 500, "Internal Server Error")
		} else if (this.#decision === "written") {
			this.#socket.destroy()
		}
	}

	/** Gives the socket back untouched, for a `next` handler of the user's server. */
	release(): void {
		if (this.#decision !== "open") return
		this.#close()
	}

	#timedOut(): void {
		if (this.#decision !== "open") return
		const responseTimeout = this.#responseTimeout
		logError(
			`The route for the upgrade request ${this.req.method} ${this.req.url} did not answer within ${responseTimeout} ms; ` +
				"the connection was closed (option websocket.responseTimeout).",
		)
		this.#close()
		respondRaw(this.#socket, 503, "Service Unavailable")
	}

	/** Stops writing to the socket; whatever upstream writes later is dropped. */
	#close(): void {
		this.#decision = "closed"
		clearTimeout(this.#timer)
		this.detachSocket(this.#socket as Socket)
		this.#handshake?.abandon()
	}

	#accept(given: HeadersArgument | undefined): void {
		this.#decision = "accepted"
		const lines = forwardedHeaderLines(this.getHeaders(), given)
		const socket = this.#socket
		this.detachSocket(socket as Socket)
		this.#handshake?.accept(lines)
		// ws owns the open socket now, with an `error` listener of its own.
		if (!socket.destroyed) socket.off("error", ignoreSocketError)
	}

	#carriesToken(given: HeadersArgument | undefined): boolean {
		const token = this.#handshake?.token
		if (token === undefined) return false
		if (isToken(this.getHeader(UPGRADE_TOKEN_HEADER), token)) return true
		if (given === undefined) return false
		if (!Array.isArray(given)) {
			for (const name in given) {
				if (name.toLowerCase() === UPGRADE_TOKEN_HEADER && isToken(given[name], token)) return true
			}
			return false
		}
		return headerPairs(given).some(([name, value]) => name.toLowerCase() === UPGRADE_TOKEN_HEADER && isToken(value, token))
	}
}

function emitFinishAndClose(sink: UpgradeSink): void {
	sink.emit("finish")
	sink.emit("close")
}

/** Whether a header's value is the handshake's token. */
function isToken(value: OutgoingHttpHeader | undefined, token: string): boolean {
	return value !== undefined && (Array.isArray(value) ? value.includes(token) : String(value) === token)
}

// Upstream checks headersSent before writing a 500 of its own. One getter on
// the prototype, rather than a property per response.
Object.defineProperty(UpgradeSink.prototype, "headersSent", {
	configurable: true,
	get(this: UpgradeSink): boolean {
		return decided(this) || (Reflect.get(ServerResponse.prototype, "headersSent", this) as boolean)
	},
})

/** Writes a minimal response straight to a socket that no ServerResponse owns, then closes it. */
export function respondRaw(socket: Duplex, status: number, message: string, headers: Record<string, string> = {}): void {
	if (socket.destroyed) return
	const body = Buffer.from(message, "utf8")
	const head = [
		`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}`,
		"Connection: close",
		"Content-Type: text/plain; charset=utf-8",
		`Content-Length: ${body.byteLength}`,
		...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
	]
	socket.end(Buffer.concat([Buffer.from(`${head.join("\r\n")}\r\n\r\n`, "latin1"), body]), () => socket.destroy())
}

/** The headers writeHead was given, in any of Node's three shapes, as name/value pairs. */
function headerPairs(given: HeadersArgument | undefined): [string, OutgoingHttpHeader | undefined][] {
	if (given === undefined) return []
	if (!Array.isArray(given)) return Object.entries(given)
	const pairs: [string, OutgoingHttpHeader | undefined][] = []
	if (given.length > 0 && Array.isArray(given[0])) {
		for (const entry of given) if (Array.isArray(entry)) pairs.push([String(entry[0]), entry[1]])
	} else {
		for (let i = 0; i + 1 < given.length; i += 2) pairs.push([String(given[i]), given[i + 1]])
	}
	return pairs
}

function withoutToken(given: HeadersArgument | undefined): HeadersArgument | undefined {
	if (given === undefined) return undefined
	const isToken = (name: unknown) => String(name).toLowerCase() === UPGRADE_TOKEN_HEADER
	if (!Array.isArray(given)) {
		return Object.fromEntries(Object.entries(given).filter(([name]) => !isToken(name)))
	}
	if (given.length > 0 && Array.isArray(given[0])) {
		return given.filter((entry) => !(Array.isArray(entry) && isToken(entry[0])))
	}
	const flat: OutgoingHttpHeader[] = []
	for (let i = 0; i + 1 < given.length; i += 2) {
		if (!isToken(given[i])) flat.push(given[i], given[i + 1])
	}
	return flat
}

const NO_LINES: readonly string[] = Object.freeze([])

/** Whether any of these headers would reach the 101. */
function forwardsAny(set: OutgoingHttpHeaders, given: HeadersArgument | undefined): boolean {
	for (const name in set) if (set[name] !== undefined && !NOT_FORWARDED.has(name)) return true
	if (given === undefined) return false
	if (!Array.isArray(given)) {
		for (const name in given) if (given[name] !== undefined && !NOT_FORWARDED.has(name.toLowerCase())) return true
		return false
	}
	return headerPairs(given).some(([name, value]) => value !== undefined && !NOT_FORWARDED.has(name.toLowerCase()))
}

/** "Name: value" lines for the 101, from headers set with setHeader and those given to writeHead. */
function forwardedHeaderLines(set: OutgoingHttpHeaders, given: HeadersArgument | undefined): readonly string[] {
	// The usual accepting Response carries only the token: nothing to merge.
	if (!forwardsAny(set, given)) return NO_LINES
	const merged = new Map<string, { name: string; values: string[] }>()
	const add = (name: string, value: OutgoingHttpHeader | undefined, replace: boolean) => {
		if (value === undefined || NOT_FORWARDED.has(name.toLowerCase())) return
		const values = Array.isArray(value) ? value.map(String) : [String(value)]
		const key = name.toLowerCase()
		const existing = merged.get(key)
		if (existing && !replace) existing.values.push(...values)
		else merged.set(key, { name, values })
	}
	for (const [name, value] of Object.entries(set)) add(name, value, true)
	const fromWriteHead = new Set<string>()
	for (const [name, value] of headerPairs(given)) {
		const key = name.toLowerCase()
		add(name, value, !fromWriteHead.has(key)) // writeHead wins over setHeader, repeats append
		fromWriteHead.add(key)
	}
	const lines: string[] = []
	for (const { name, values } of merged.values()) {
		for (const value of values) {
			try {
				validateHeaderName(name)
				validateHeaderValue(name, value)
				lines.push(`${name}: ${value}`)
			} catch {
				// ServerResponse would have refused it too.
			}
		}
	}
	return lines
}
