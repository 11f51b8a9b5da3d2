// Rooms on Cloudflare: a Durable Object holds the sockets of one room, so
// that clients served by different isolates meet in one place. The route
// hands the upgrade to the object's stub with `toRoom()`; the object
// (a subclass of `WebSocketRoom`) accepts the socket with the WebSocket
// Hibernation API, so the sockets outlive the object's sleep, and broadcasts
// by iterating its own sockets, optionally by tag.
//
// Public entry `zastro-websockets-cloudflare/room` (types in room.d.ts). It
// runs in workerd and imports nothing of Node.

import { parseProtocols, selectProtocol } from "../shared/handshake.js"
import { logError } from "../shared/log.js"
import { closeArguments } from "../shared/websocket.js"

/** Request header that carries what the route decided (tags, data, subprotocol) to the room. */
export const ROOM_HEADER = "x-zastro-room"

// Where the adapter's request handler keeps the handshake of a request (locals.ts).
const FORWARD = Symbol.for("zastro.cloudflare.forward")
const REGISTRY = Symbol.for("zastro.cloudflare.upgrades")

const CONNECTING = 0
const OPEN = 1
const CLOSING = 2
const CLOSED = 3

/** The part of workerd's WebSocket that a room uses. */
export interface HibernatableWebSocket {
	readonly readyState: number
	send(data: string | ArrayBuffer | ArrayBufferView): void
	close(code?: number, reason?: string): void
	serializeAttachment(value: unknown): void
	deserializeAttachment(): unknown
}

/** The part of a Durable Object's state (`ctx`) that a room uses. */
export interface RoomState {
	acceptWebSocket(ws: HibernatableWebSocket, tags?: string[]): void
	getWebSockets(tag?: string): HibernatableWebSocket[]
	getTags(ws: HibernatableWebSocket): string[]
}

/** A Durable Object stub (`env.ROOMS.get(id)`), or anything that answers a Request. */
export interface RoomStub {
	fetch(request: Request): Promise<Response>
}

export interface ToRoomOptions<Data = unknown> {
	/** Tags of the socket in the room (at most 10, each at most 256 characters). */
	tags?: string[]
	/** JSON data kept with the socket across hibernation (`socket.data`). */
	data?: Data
	/** The subprotocol to select, one of those the client offered; default the first offered, `false` for none. */
	protocol?: string | false
}

export interface RoomCloseEvent {
	readonly code: number
	readonly reason: string
	readonly wasClean: boolean
}

export type RoomBinaryType = "blob" | "arraybuffer"
export type RoomMessage = string | ArrayBuffer | Blob
export type RoomSendData = string | ArrayBufferLike | ArrayBufferView | Blob

/** A socket of the room, as `broadcast`'s `except` takes it (any `RoomSocket`). */
export interface RoomMember {
	readonly raw: HibernatableWebSocket
}

export interface BroadcastOptions {
	/** Only the sockets with this tag. */
	tag?: string
	/** Not these sockets (the sender, usually). */
	except?: RoomMember | readonly RoomMember[]
}

interface JoinInfo {
	tags: string[]
	data: unknown
	protocol: string | undefined
}

// What each socket keeps across hibernation (serializeAttachment, at most
// 2 KiB): binary type, subprotocol, URL and the user's data.
interface Attachment {
	z: 1
	b: RoomBinaryType
	p: string
	u: string
	d: unknown
}

declare const WebSocketPair: new () => {
	0: HibernatableWebSocket
	1: HibernatableWebSocket
}

/**
 * Hands this WebSocket upgrade to a room: the room's Durable Object accepts
 * the socket, and the Response returned here is the one the route returns.
 * If the room answers anything but a 101, that Response is returned as it is
 * (the upgrade is rejected with it).
 */
export async function toRoom<Data = unknown>(
	context: { request: Request; locals: object },
	room: RoomStub,
	options: ToRoomOptions<Data> = {},
): Promise<Response> {
	const { request, locals } = context
	const forward = forwarderOf(request, locals)
	if (forward === undefined) throw notRoomUpgradeError(request, locals)
	if (options.tags !== undefined && (!Array.isArray(options.tags) || options.tags.some((tag) => typeof tag !== "string"))) {
		throw new TypeError("toRoom(context, room, { tags }): `tags` must be an array of strings.")
	}
	const protocol = selectProtocol(options.protocol, parseProtocols(request.headers.get("sec-websocket-protocol")) ?? [])
	const headers = new Headers(request.headers)
	const join: JoinInfo = { tags: options.tags ?? [], data: options.data ?? null, protocol }
	headers.set(ROOM_HEADER, JSON.stringify(join))
	const response = await room.fetch(new Request(request.url, { method: "GET", headers }))
	if (response.status !== 101 || !(response as Response & { webSocket?: unknown }).webSocket) return response
	try {
		return forward(response)
	} catch (error) {
		closeUnused(response)
		throw error
	}
}

function forwarderOf(request: Request, locals: object): ((accepted: Response) => Response) | undefined {
	const own = (locals as Record<symbol, unknown>)[FORWARD]
	if (typeof own === "function") return own as (accepted: Response) => Response
	const registry = (globalThis as Record<symbol, unknown>)[REGISTRY] as
		| WeakMap<Request, { forward(accepted: Response): Response }>
		| undefined
	const handshake = registry?.get(request)
	return handshake === undefined ? undefined : (accepted) => handshake.forward(accepted)
}

function notRoomUpgradeError(request: Request, locals: object): Error {
	if ((locals as { isUpgradeRequest?: unknown }).isUpgradeRequest !== true) {
		return new Error(
			`toRoom() was called for ${request.method} ${request.url}, which is not a WebSocket upgrade request. ` +
				"Check `locals.isUpgradeRequest` first and answer other requests with a normal Response.",
		)
	}
	return new Error(
		"toRoom() needs the route to run in workerd: the built worker (wrangler dev, Workers) or `astro dev` of " +
			"@astrojs/cloudflare 13.x on. `astro dev` of 10.x to 12.x runs routes in Node, where Durable Objects are not reachable.",
	)
}

function closeUnused(response: Response): void {
	const socket = (response as Response & { webSocket?: HibernatableWebSocket & { accept?(): void } }).webSocket
	try {
		socket?.accept?.()
		socket?.close(1011, "The upgrade could not be handed to the room.")
	} catch {
		// already closed
	}
}

let createRoomSocket!: (ws: HibernatableWebSocket, room: RoomState) => RoomSocket
const wrappers = new WeakMap<HibernatableWebSocket, RoomSocket>()

/**
 * One socket of a room, with the browser `WebSocket`'s sending side:
 * `send()` of strings, ArrayBuffers, views and Blobs in call order,
 * `close(code?, reason?)` with the browser's validation, `readyState`,
 * `binaryType`, `protocol`, `url`. What it keeps (binary type, data)
 * survives hibernation.
 */
export class RoomSocket<Data = unknown> {
	static readonly CONNECTING = CONNECTING
	static readonly OPEN = OPEN
	static readonly CLOSING = CLOSING
	static readonly CLOSED = CLOSED
	declare readonly CONNECTING: 0
	declare readonly OPEN: 1
	declare readonly CLOSING: 2
	declare readonly CLOSED: 3

	readonly #ws: HibernatableWebSocket
	readonly #room: RoomState
	#attachment: Attachment | undefined
	#pending: Promise<void> | undefined
	#closeSent = false

	static {
		createRoomSocket = (ws, room) => new RoomSocket(ws, room, INTERNAL)
	}

	/** Not constructible by user code: a room hands its sockets out. */
	constructor(ws: HibernatableWebSocket, room: RoomState, key?: symbol) {
		if (key !== INTERNAL) throw new TypeError("Illegal constructor: room sockets come from WebSocketRoom")
		this.#ws = ws
		this.#room = room
	}

	/** workerd's own WebSocket under this socket. */
	get raw(): HibernatableWebSocket {
		return this.#ws
	}
	get readyState(): number {
		return this.#ws.readyState
	}
	get url(): string {
		return this.#state().u
	}
	get protocol(): string {
		return this.#state().p
	}
	get extensions(): string {
		return ""
	}
	/** workerd does not report what it has buffered. */
	get bufferedAmount(): number {
		return 0
	}
	get binaryType(): RoomBinaryType {
		return this.#state().b
	}
	set binaryType(value: RoomBinaryType) {
		// Browsers ignore values outside the enumeration.
		if (value !== "blob" && value !== "arraybuffer") return
		this.#save({ ...this.#state(), b: value })
	}
	/** The tags the socket was accepted with. */
	get tags(): readonly string[] {
		try {
			return this.#room.getTags(this.#ws)
		} catch {
			return []
		}
	}
	/** The data the route passed to `toRoom()`; assigning keeps the new value across hibernation (JSON, 2 KiB in all). */
	get data(): Data {
		return this.#state().d as Data
	}
	set data(value: Data) {
		this.#save({ ...this.#state(), d: value })
	}

	/** Sends a message in call order; Blobs are read first, later sends wait for them. */
	send(data: RoomSendData): void {
		if (arguments.length === 0) {
			throw new TypeError("Failed to execute 'send' on 'WebSocket': 1 argument required, but only 0 present.")
		}
		if (this.#ws.readyState === CONNECTING) {
			throw new DOMException(
				"Failed to execute 'send' on 'WebSocket': Still in CONNECTING state.",
				"InvalidStateError",
			)
		}
		// As in browsers, sends after close() are dropped.
		if (this.#ws.readyState !== OPEN || this.#closeSent) return
		const payload = outgoing(data)
		if (this.#pending === undefined && !(payload instanceof Promise)) {
			this.#write(payload)
			return
		}
		const previous = this.#pending ?? Promise.resolve()
		const next = previous.then(async () => {
			let bytes: string | Uint8Array | undefined
			try {
				bytes = await payload
			} catch (error) {
				logError("Reading a Blob passed to WebSocket.send() failed; that message was not sent.", error)
			}
			if (bytes !== undefined) this.#write(bytes)
		})
		this.#pending = next
		void next.then(() => {
			if (this.#pending === next) this.#pending = undefined
		})
	}

	/** Starts the closing handshake, with the browser's validation of code and reason. */
	close(code?: number, reason?: string): void {
		const { code: closeCode, reason: text } = closeArguments(code, reason)
		if (this.#closeSent || this.#ws.readyState >= CLOSING) return
		const run = () => {
			if (this.#closeSent) return
			this.#closeSent = true
			try {
				if (closeCode === undefined) this.#ws.close()
				else this.#ws.close(closeCode, text)
			} catch (error) {
				logError("Closing a WebSocket failed.", error)
			}
		}
		// Messages sent before close() go out first.
		if (this.#pending === undefined) run()
		else void this.#pending.then(run)
	}

	/** Answers the peer's close frame with the same code, as a browser does. */
	replyClose(code: number, reason: string): void {
		if (this.#closeSent) return
		this.#closeSent = true
		try {
			// 1005 (no status) and 1006 (no close frame) cannot be sent.
			if (code === 1005 || code === 1006) this.#ws.close()
			else this.#ws.close(code, reason)
		} catch {
			// workerd already answered (web_socket_auto_reply_to_close), or the code is one it refuses to send.
			try {
				this.#ws.close()
			} catch {
				// the connection is gone
			}
		}
	}

	#write(data: string | Uint8Array): void {
		if (this.#ws.readyState !== OPEN || this.#closeSent) return
		try {
			this.#ws.send(data)
		} catch (error) {
			logError("Sending a WebSocket message failed.", error)
		}
	}

	#state(): Attachment {
		if (this.#attachment === undefined) this.#attachment = readAttachment(this.#ws)
		return this.#attachment
	}

	#save(next: Attachment): void {
		this.#ws.serializeAttachment(next)
		this.#attachment = next
	}
}

for (const [name, value] of [
	["CONNECTING", CONNECTING],
	["OPEN", OPEN],
	["CLOSING", CLOSING],
	["CLOSED", CLOSED],
] as const) {
	Object.defineProperty(RoomSocket.prototype, name, { value, enumerable: true })
}

const INTERNAL = Symbol("zastro.room")

/**
 * A Durable Object that holds the sockets of one room. Subclass it, override
 * the hooks, and export the subclass from the worker entry:
 *
 * ```ts
 * export class ChatRoom extends WebSocketRoom {
 *   onMessage(socket, message) { this.broadcast(message, { except: socket }) }
 * }
 * ```
 *
 * Sockets are accepted with the Hibernation API: the object may sleep while
 * they stay open, and wakes up for their next message. Keep per-socket
 * state in `socket.data` (or in `this.ctx.storage`), not in fields.
 */
export class WebSocketRoom<Env = unknown, Data = unknown> {
	readonly ctx: RoomState
	readonly env: Env

	constructor(ctx: RoomState, env: Env) {
		this.ctx = ctx
		this.env = env
	}

	/** Accepts a WebSocket upgrade handed over by `toRoom()`; other requests go to `onRequest`. */
	async fetch(request: Request): Promise<Response> {
		const upgrade = request.headers.get("upgrade")
		if (request.method !== "GET" || upgrade === null || upgrade.trim().toLowerCase() !== "websocket") {
			return this.onRequest(request)
		}
		const join = readJoin(request.headers.get(ROOM_HEADER))
		const pair = new WebSocketPair()
		const client = pair[0]
		const server = pair[1]
		const attachment: Attachment = { z: 1, b: "blob", p: join.protocol ?? "", u: socketUrl(request.url), d: join.data }
		try {
			server.serializeAttachment(attachment)
			this.ctx.acceptWebSocket(server, join.tags)
		} catch (error) {
			logError("A room could not accept a WebSocket.", error)
			return new Response(`The room could not accept the WebSocket: ${messageOf(error)}`, { status: 500 })
		}
		const socket = this.#wrap(server)
		// `open` after the 101 has been returned; workerd keeps what onOpen sends until then.
		queueMicrotask(() => void this.#run("open", () => this.onOpen(socket, request)))
		const headers = join.protocol === undefined ? undefined : { "sec-websocket-protocol": join.protocol }
		return new Response(null, { status: 101, headers, webSocket: client } as ResponseInit)
	}

	/** Called by workerd for each message (also after the object woke up). */
	async webSocketMessage(ws: HibernatableWebSocket, message: string | ArrayBuffer): Promise<void> {
		const socket = this.#wrap(ws)
		let data: RoomMessage = message
		if (typeof message !== "string") {
			const bytes = toArrayBuffer(message)
			data = socket.binaryType === "arraybuffer" ? bytes : new Blob([bytes])
		}
		await this.#run("message", () => this.onMessage(socket, data))
	}

	/** Called by workerd when a client closed: the close is answered with the same code, then `onClose`. */
	async webSocketClose(ws: HibernatableWebSocket, code: number, reason: string, wasClean: boolean): Promise<void> {
		const socket = this.#wrap(ws)
		socket.replyClose(code, reason)
		await this.#run("close", () => this.onClose(socket, { code, reason, wasClean: wasClean && code !== 1006 }))
	}

	/** Called by workerd when a socket failed. */
	async webSocketError(ws: HibernatableWebSocket, error: unknown): Promise<void> {
		const socket = this.#wrap(ws)
		await this.#run("error", () => this.onError(socket, error))
	}

	/** A socket joined (its 101 was returned). */
	onOpen(_socket: RoomSocket<Data>, _request: Request): void | Promise<void> {}
	/** A message arrived: a string, or bytes as a Blob or an ArrayBuffer (`socket.binaryType`). */
	onMessage(_socket: RoomSocket<Data>, _message: RoomMessage): void | Promise<void> {}
	/** A socket closed; the code and reason are the client's. */
	onClose(_socket: RoomSocket<Data>, _event: RoomCloseEvent): void | Promise<void> {}
	/** A socket failed; `onClose` follows. */
	onError(_socket: RoomSocket<Data>, _error: unknown): void | Promise<void> {}
	/** A request to the object that is not a WebSocket upgrade; 426 unless overridden. */
	onRequest(_request: Request): Response | Promise<Response> {
		return new Response("Upgrade required", { status: 426, headers: { upgrade: "websocket" } })
	}

	/** The open sockets of the room, or those with a tag. */
	sockets(tag?: string): RoomSocket<Data>[] {
		const out: RoomSocket<Data>[] = []
		for (const ws of tag === undefined ? this.ctx.getWebSockets() : this.ctx.getWebSockets(tag)) {
			if (ws.readyState === OPEN) out.push(this.#wrap(ws))
		}
		return out
	}

	/** Sends one message to every open socket of the room (or of a tag); returns how many it was sent to. */
	broadcast(data: RoomSendData, options: BroadcastOptions = {}): number {
		const except = new Set<HibernatableWebSocket>()
		const excluded = options.except
		if (Array.isArray(excluded)) for (const s of excluded as readonly RoomMember[]) except.add(s.raw)
		else if (excluded !== undefined) except.add((excluded as RoomMember).raw)
		let sent = 0
		for (const socket of this.sockets(options.tag)) {
			if (except.has(socket.raw)) continue
			socket.send(data)
			sent++
		}
		return sent
	}

	/** Closes every open socket of the room (or of a tag). */
	closeAll(code?: number, reason?: string, options: { tag?: string } = {}): number {
		const sockets = this.sockets(options.tag)
		for (const socket of sockets) socket.close(code, reason)
		return sockets.length
	}

	#wrap(ws: HibernatableWebSocket): RoomSocket<Data> {
		let socket = wrappers.get(ws)
		if (socket === undefined) {
			socket = createRoomSocket(ws, this.ctx)
			wrappers.set(ws, socket)
		}
		return socket as RoomSocket<Data>
	}

	/** Runs a hook so that neither a throw nor a rejected promise can reach workerd. */
	async #run(type: string, hook: () => unknown): Promise<void> {
		try {
			await hook()
		} catch (error) {
			logError(`Uncaught error in a room's "${type}" handler:`, error)
		}
	}
}

function readJoin(header: string | null): JoinInfo {
	const join: JoinInfo = { tags: [], data: null, protocol: undefined }
	if (header === null) return join
	try {
		const value = JSON.parse(header) as Partial<JoinInfo>
		if (Array.isArray(value.tags)) join.tags = value.tags.filter((tag): tag is string => typeof tag === "string")
		if (value.data !== undefined) join.data = value.data
		if (typeof value.protocol === "string") join.protocol = value.protocol
	} catch {
		// not from toRoom(): no tags, no data
	}
	return join
}

function readAttachment(ws: HibernatableWebSocket): Attachment {
	let value: unknown
	try {
		value = ws.deserializeAttachment()
	} catch {
		value = undefined
	}
	const a = value as Partial<Attachment> | null | undefined
	if (a !== null && typeof a === "object" && a.z === 1) {
		return {
			z: 1,
			b: a.b === "arraybuffer" ? "arraybuffer" : "blob",
			p: typeof a.p === "string" ? a.p : "",
			u: typeof a.u === "string" ? a.u : "",
			d: a.d ?? null,
		}
	}
	// A socket accepted by other code than WebSocketRoom.fetch.
	return { z: 1, b: "blob", p: "", u: "", d: null }
}

/** Copies what `send` was given, as browsers do at call time; Blobs resolve later. */
function outgoing(data: RoomSendData): string | Uint8Array | Promise<Uint8Array> {
	if (typeof data === "string") return data
	if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice()
	if (data instanceof ArrayBuffer || (typeof SharedArrayBuffer === "function" && data instanceof SharedArrayBuffer)) {
		return new Uint8Array(data).slice()
	}
	if (typeof Blob === "function" && data instanceof Blob) return data.arrayBuffer().then((b) => new Uint8Array(b))
	// Browsers convert anything else to a string.
	return String(data)
}

function toArrayBuffer(data: ArrayBuffer | ArrayBufferView): ArrayBuffer {
	if (data instanceof ArrayBuffer) return data
	const copy = new Uint8Array(data.byteLength)
	copy.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
	return copy.buffer
}

function socketUrl(url: string): string {
	try {
		const u = new URL(url)
		u.protocol = u.protocol === "https:" ? "wss:" : "ws:"
		return u.href
	} catch {
		return ""
	}
}

function messageOf(error: unknown): string {
	return error instanceof Error ? error.message : String(error)
}
