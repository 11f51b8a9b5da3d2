// `astro dev` of the adapter generations that run the worker in workerd
// through @cloudflare/vite-plugin (@astrojs/cloudflare 13.x on): the Node
// side of the relay described in dev-relay.ts.
//
// The plugin listens for `upgrade` on Vite's server, sends the request to the
// worker and answers the client itself: with its own handshake (the first
// offered subprotocol) when the worker returns a socket, by closing the
// connection when it does not. Here every WebSocket upgrade that is not
// Vite's is answered instead as the built worker answers it:
//
//  1. the client's request is copied, marked with RELAY_HEADER, onto an
//     in-memory connection of Vite's own server, where the plugin handles it
//     as usual and couples the worker's socket to it;
//  2. the worker (dev-relay.ts) sends the route's answer as the first message;
//  3. the client gets that answer: the 101 with the route's subprotocol and
//     headers, after which the two connections are joined byte for byte
//     (client frames are masked and the plugin's are not, as on any
//     connection, so frames pass through unchanged); or the rejection's
//     status, headers and body, and the connection closes.
//
// Listeners on `upgrade` registered before the server starts listening (the
// plugin's among them) no longer see the client's request itself, only its
// relayed copy. Vite's HMR socket and the paths of Vite's proxy are left
// alone.

import { createHash, randomBytes } from "node:crypto"
import { statSync } from "node:fs"
import { type IncomingMessage, ServerResponse, STATUS_CODES } from "node:http"
import type { Socket } from "node:net"
import { resolve, sep } from "node:path"
import { Duplex } from "node:stream"
import { Server as TlsServer } from "node:tls"
import { classifyUpgrade } from "../node/handshake.js"
import { type DevServer, isViteWebSocket } from "../node/dev.js"
import { RELAY_HEADER, type RelayAnswer } from "./dev-relay.js"

type UpgradeListener = (this: unknown, req: IncomingMessage, socket: Duplex, head: Buffer) => unknown

const WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
const GUARDED = Symbol.for("zastro.cloudflare.guardedUpgradeListener")
// Headers of the route's answer that the handshake itself owns.
const HANDSHAKE_HEADERS = new Set([
	"connection",
	"content-length",
	"keep-alive",
	"sec-websocket-accept",
	"sec-websocket-extensions",
	"sec-websocket-protocol",
	"transfer-encoding",
	"upgrade",
])

/** Requests answered through the relay: the listeners registered before ours skip them. */
const relayedRequests = new WeakSet<IncomingMessage>()
/** The in-memory connections that carry relayed copies. */
const relayConnections = new WeakSet<object>()

/** Adds the relay to Vite's dev server; call it from `astro:server:setup`. */
export function setupWorkerdDevServer(server: DevServer): void {
	const httpServer = server.httpServer as unknown as ListeningServer | null
	if (!httpServer) return // Vite in middleware mode: the user's server, the plugin does not listen either
	const listener: UpgradeListener = (req, socket, head) => {
		if (relayConnections.has(req.socket)) return // a relayed copy: the plugin's
		// Only the relay may mark a request.
		removeHeader(req, RELAY_HEADER)
		const upgrade = classifyUpgrade(req)
		if (upgrade.kind !== "websocket" || isViteWebSocket(server, req)) return
		relayedRequests.add(req)
		// The built worker serves static files before the worker runs; the
		// plugin sends upgrades straight to the worker, Vite serves them.
		if (isPublicFile(server, req.url)) serveThroughVite(server, req, socket)
		else relay(httpServer, req, socket, head, upgrade.protocols)
	}
	httpServer.prependListener("upgrade", listener)
	// The plugin adds its listener after this hook has run; by the time the
	// server listens, every listener of the dev server is there.
	const guardOthers = () => {
		const all = httpServer.rawListeners("upgrade") as UpgradeListener[]
		httpServer.removeAllListeners("upgrade")
		for (const fn of all) httpServer.on("upgrade", fn === listener ? fn : guard(fn))
	}
	if (httpServer.listening) guardOthers()
	else httpServer.once("listening", guardOthers)
}

function guard(fn: UpgradeListener): UpgradeListener {
	if ((fn as { [GUARDED]?: boolean })[GUARDED]) return fn
	const guarded: UpgradeListener = function (this: unknown, req, socket, head) {
		if (relayedRequests.has(req)) return
		return fn.call(this, req, socket, head)
	}
	Object.defineProperty(guarded, GUARDED, { value: true })
	return guarded
}

/** The part of Vite's HTTP server (node:http, node:https or node:http2) that is used here. */
interface ListeningServer {
	readonly listening: boolean
	prependListener(event: "upgrade", listener: UpgradeListener): unknown
	on(event: "upgrade", listener: UpgradeListener): unknown
	once(event: "listening", listener: () => void): unknown
	rawListeners(event: "upgrade"): unknown[]
	removeAllListeners(event: "upgrade"): unknown
	emit(event: "connection" | "secureConnection", socket: Duplex): boolean
}

function relay(server: ListeningServer, req: IncomingMessage, socket: Duplex, head: Buffer, offered: string[]): void {
	const [inner, outer] = connectionPair()
	relayConnections.add(inner)
	let answered = false
	const giveUp = () => {
		socket.destroy()
		outer.destroy()
	}
	socket.on("error", giveUp)
	socket.on("close", () => outer.destroy())
	outer.on("error", () => {})
	outer.on("close", () => {
		if (answered) {
			socket.end() // after what the relay sent has been written
			return
		}
		answered = true
		refuse(socket, 502, "astro dev: the worker gave no answer to this WebSocket request (see the dev server's log).", [])
	})

	const reader = new Reader(outer, (answer, body, rest) => {
		answered = true
		if (answer.status !== 101) {
			refuse(socket, answer.status, body, answer.headers, answer.statusText)
			outer.destroy()
			return
		}
		const protocol = answer.protocol
		if (protocol !== "" && !offered.includes(protocol)) {
			refuse(socket, 500, `astro dev: the worker selected the subprotocol ${JSON.stringify(protocol)}, which the client did not offer.`, [])
			outer.destroy()
			return
		}
		const accept = createHash("sha1")
			.update(String(req.headers["sec-websocket-key"]) + WEBSOCKET_GUID)
			.digest("base64")
		const lines = ["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade", `Sec-WebSocket-Accept: ${accept}`]
		if (protocol !== "") lines.push(`Sec-WebSocket-Protocol: ${protocol}`)
		for (const [name, value] of answer.headers) {
			if (!HANDSHAKE_HEADERS.has(name.toLowerCase())) lines.push(headerLine(name, value))
		}
		socket.write(`${lines.join("\r\n")}\r\n\r\n`)
		if (rest.length > 0) socket.write(rest)
		if (head.length > 0) outer.write(head)
		socket.pipe(outer)
		outer.pipe(socket)
	})
	outer.on("data", reader.push)

	// The relayed copy: the client's request with a key of its own and the mark.
	const lines = [`GET ${req.url ?? "/"} HTTP/1.1`]
	for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
		const name = req.rawHeaders[i]
		const lower = name.toLowerCase()
		if (lower === "sec-websocket-key" || lower === "sec-websocket-extensions" || lower === RELAY_HEADER) continue
		lines.push(headerLine(name, req.rawHeaders[i + 1]))
	}
	lines.push(`Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}`, `${RELAY_HEADER}: 1`)
	const tls = server instanceof TlsServer
	if (tls) Object.assign(inner, { encrypted: true, alpnProtocol: "http/1.1" })
	server.emit(tls ? "secureConnection" : "connection", inner)
	outer.write(`${lines.join("\r\n")}\r\n\r\n`)
}

/**
 * Reads what the plugin sends on the relayed connection: its 101, then the
 * worker's first message (the answer) and, for a rejection, the body as the
 * second. Calls `done` once, with the bytes that followed.
 */
class Reader {
	#buffer: Buffer = Buffer.alloc(0)
	#handshakeDone = false
	#answer: RelayAnswer | undefined
	#finished = false
	readonly #outer: Duplex
	readonly #done: (answer: RelayAnswer, body: Buffer, rest: Buffer) => void

	constructor(outer: Duplex, done: (answer: RelayAnswer, body: Buffer, rest: Buffer) => void) {
		this.#outer = outer
		this.#done = done
	}

	push = (chunk: Buffer): void => {
		if (this.#finished) return
		this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk])
		try {
			this.#read()
		} catch {
			this.#finished = true
			this.#outer.destroy()
		}
	}

	#read(): void {
		if (!this.#handshakeDone) {
			const end = this.#buffer.indexOf("\r\n\r\n")
			if (end < 0) return
			const status = /^HTTP\/1\.1 (\d{3})/.exec(this.#buffer.subarray(0, end).toString("latin1"))
			if (status?.[1] !== "101") throw new Error("the relay was not upgraded")
			this.#handshakeDone = true
			this.#buffer = this.#buffer.subarray(end + 4)
		}
		for (;;) {
			const frame = readFrame(this.#buffer)
			if (frame === undefined) return
			this.#buffer = this.#buffer.subarray(frame.length)
			if (this.#answer === undefined) {
				if (frame.opcode !== 1) throw new Error("the relay's first message is not the answer")
				const answer = JSON.parse(frame.payload.toString("utf8")) as RelayAnswer
				if (answer.zastroRelay !== 1 || !Number.isInteger(answer.status) || answer.status < 101 || answer.status > 599) {
					throw new Error("not a relay answer")
				}
				this.#answer = answer
				if (answer.status !== 101) continue // the body follows
				return this.#finish(answer, Buffer.alloc(0))
			}
			if (frame.opcode !== 2) throw new Error("the relay's second message is not the body")
			return this.#finish(this.#answer, frame.payload)
		}
	}

	#finish(answer: RelayAnswer, body: Buffer): void {
		this.#finished = true
		this.#outer.off("data", this.push)
		this.#done(answer, body, this.#buffer)
	}
}

/** One complete unfragmented frame from a server (unmasked), or undefined while incomplete. */
function readFrame(buf: Buffer): { opcode: number; payload: Buffer; length: number } | undefined {
	if (buf.length < 2) return undefined
	const fin = (buf[0] & 0x80) !== 0
	const opcode = buf[0] & 0x0f
	let length = buf[1] & 0x7f
	let offset = 2
	if (length === 126) {
		if (buf.length < 4) return undefined
		length = buf.readUInt16BE(2)
		offset = 4
	} else if (length === 127) {
		if (buf.length < 10) return undefined
		length = Number(buf.readBigUInt64BE(2))
		offset = 10
	}
	if ((buf[1] & 0x80) !== 0 || !fin) throw new Error("unexpected frame on the relay")
	if (buf.length < offset + length) return undefined
	return { opcode, payload: buf.subarray(offset, offset + length), length: offset + length }
}

/** Whether `url` names a file of Vite's public folder, which production serves from its assets. */
function isPublicFile(server: DevServer, url: string | undefined): boolean {
	const dir = (server.config as { publicDir?: unknown }).publicDir
	if (typeof dir !== "string" || dir === "") return false
	let pathname: string
	try {
		pathname = decodeURIComponent(new URL(url ?? "/", "http://localhost").pathname)
	} catch {
		return false
	}
	const base = server.config.base ?? "/"
	if (base !== "/" && pathname.startsWith(base)) pathname = `/${pathname.slice(base.length)}`
	const root = resolve(dir)
	const file = resolve(root, `.${pathname}`)
	if (!file.startsWith(root + sep)) return false
	try {
		return statSync(file).isFile()
	} catch {
		return false
	}
}

/** Answers the handshake with what Vite's middleware answers a plain GET of that path, then closes. */
function serveThroughVite(server: DevServer, req: IncomingMessage, socket: Duplex): void {
	socket.on("error", () => socket.destroy())
	const res = new ServerResponse(req)
	res.shouldKeepAlive = false
	res.assignSocket(socket as Socket)
	res.on("finish", () => {
		res.detachSocket(socket as Socket)
		socket.end()
	})
	server.middlewares.handle(req, res, (error) => {
		res.statusCode = error === undefined || error === null ? 404 : 500
		res.end()
	})
}

/** Writes a complete HTTP response to a handshake and closes the connection. */
function refuse(socket: Duplex, status: number, body: string | Buffer, headers: [string, string][], statusText?: string): void {
	if (socket.destroyed || !socket.writable) return
	const bytes = typeof body === "string" ? Buffer.from(body) : body
	const lines = [`HTTP/1.1 ${status} ${statusText || STATUS_CODES[status] || ""}`.trimEnd()]
	let type = false
	for (const [name, value] of headers) {
		const lower = name.toLowerCase()
		if (HANDSHAKE_HEADERS.has(lower)) continue
		if (lower === "content-type") type = true
		lines.push(headerLine(name, value))
	}
	if (!type && typeof body === "string") lines.push("Content-Type: text/plain; charset=utf-8")
	lines.push(`Content-Length: ${bytes.length}`, "Connection: close")
	socket.end(Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"), bytes]))
}

function headerLine(name: string, value: string): string {
	return `${name}: ${value.replace(/[\r\n]+/g, " ")}`
}

function removeHeader(req: IncomingMessage, name: string): void {
	if (req.headers[name] === undefined) return
	delete req.headers[name]
	const raw = req.rawHeaders
	for (let i = raw.length - 2; i >= 0; i -= 2) {
		if (raw[i].toLowerCase() === name) raw.splice(i, 2)
	}
}

/**
 * Two connected in-memory streams: what is written to one is read from the
 * other; ending or destroying one ends or destroys the other. Node's HTTP
 * server accepts any Duplex as a connection.
 */
function connectionPair(): [Duplex, Duplex] {
	const ends: Duplex[] = []
	const end = (peer: () => Duplex) =>
		new Duplex({
			read() {},
			write(chunk: Buffer, _encoding, callback) {
				const other = peer()
				if (!other.destroyed) other.push(chunk)
				callback()
			},
			final(callback) {
				const other = peer()
				if (!other.destroyed) other.push(null)
				callback()
			},
			destroy(error, callback) {
				const other = peer()
				if (!other.destroyed) other.destroy()
				callback(error)
			},
		})
	ends.push(end(() => ends[1]), end(() => ends[0]))
	return [ends[0], ends[1]]
}
