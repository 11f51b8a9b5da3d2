// Public types of `zastro-websockets-cloudflare/room`: rooms in Durable
// Objects. No lib.dom and no @cloudflare/workers-types needed; the shapes
// below are the parts of workerd's types that a room uses, so that workerd's
// own objects (and those types, where a project has them) fit.

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
	/** Tags of the socket in the room, for `broadcast(..., { tag })` and `sockets(tag)` (at most 10, each at most 256 characters). */
	tags?: string[]
	/** JSON data kept with the socket across hibernation: `socket.data` in the room (2 KiB in all). */
	data?: Data
	/**
	 * The subprotocol to select: one of those the client offered, else `toRoom`
	 * throws. Left out, the first one the client offered is selected (as `ws`
	 * does); `false` selects none.
	 */
	protocol?: string | false
}

export interface RoomCloseEvent {
	/** The client's close code (1005 when it sent none, 1006 when the connection was lost). */
	readonly code: number
	readonly reason: string
	readonly wasClean: boolean
}

export type RoomBinaryType = "blob" | "arraybuffer"
/** A received message: a string, or bytes as a Blob (default) or an ArrayBuffer (`socket.binaryType`). */
export type RoomMessage = string | ArrayBuffer | Blob
/** What `send` and `broadcast` accept, as a browser WebSocket's `send`. */
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

/**
 * Hands this WebSocket upgrade to a room and returns the Response for the
 * route to return:
 *
 * ```ts
 * if (!ctx.locals.isUpgradeRequest) return new Response("Upgrade required", { status: 426 })
 * const room = env.ROOMS.get(env.ROOMS.idFromName(ctx.params.room))
 * return toRoom(ctx, room, { tags: ["reader"], data: { user: "ada" } })
 * ```
 *
 * The room's Durable Object accepts the socket (`WebSocketRoom`). When the
 * room answers anything but a 101, that Response is returned unchanged (the
 * upgrade is rejected with it). Cookies set on the context travel with the 101.
 *
 * Throws when the request is not a WebSocket upgrade, when
 * `upgradeWebSocket()` or `toRoom()` was already called for it, when
 * `protocol` was not offered, and in `astro dev` of @astrojs/cloudflare up
 * to 12.x (routes run in Node there).
 */
export declare function toRoom<Data = unknown>(
	context: { request: Request; locals: object },
	room: RoomStub,
	options?: ToRoomOptions<Data>,
): Promise<Response>

/**
 * One socket of a room, with the sending side of a browser `WebSocket`.
 * What it keeps (`binaryType`, `data`) survives hibernation; the object
 * itself does not, so compare sockets with `raw`, not by identity across
 * messages.
 */
export declare class RoomSocket<Data = unknown> {
	static readonly CONNECTING: 0
	static readonly OPEN: 1
	static readonly CLOSING: 2
	static readonly CLOSED: 3
	readonly CONNECTING: 0
	readonly OPEN: 1
	readonly CLOSING: 2
	readonly CLOSED: 3
	private constructor(ws: HibernatableWebSocket, room: RoomState, key?: symbol)
	/** workerd's own WebSocket under this socket. */
	readonly raw: HibernatableWebSocket
	readonly readyState: number
	/** The `ws:`/`wss:` URL the client connected to. */
	readonly url: string
	/** The subprotocol `toRoom` selected, or `""`. */
	readonly protocol: string
	/** Always `""`: workerd reports no extensions. */
	readonly extensions: string
	/** Always 0: workerd does not report what it has buffered. */
	readonly bufferedAmount: number
	/** How binary messages reach `onMessage`: `"blob"` (default) or `"arraybuffer"`; kept across hibernation. */
	binaryType: RoomBinaryType
	/** The tags the socket was accepted with. */
	readonly tags: readonly string[]
	/** The data passed to `toRoom`; assigning keeps the new value across hibernation (JSON, 2 KiB in all). */
	data: Data
	/** Sends a message; messages go out in call order (Blobs are read first). Dropped after close. */
	send(data: RoomSendData): void
	/** Closes the socket with the browser's validation: code 1000 or 3000 to 4999, reason at most 123 UTF-8 bytes. */
	close(code?: number, reason?: string): void
	/** Answers the client's close frame with the same code (done for you before `onClose`). */
	replyClose(code: number, reason: string): void
}

/**
 * A Durable Object that holds the sockets of one room. Subclass it, override
 * the hooks, export the subclass from the worker entry and bind it in the
 * wrangler config:
 *
 * ```ts
 * export class ChatRoom extends WebSocketRoom<Env> {
 *   override onMessage(socket: RoomSocket, message: RoomMessage) {
 *     this.broadcast(message, { except: socket })
 *   }
 * }
 * ```
 *
 * Sockets are accepted with the Hibernation API: the object may sleep while
 * they stay open and wakes up for their next message, so keep per-socket
 * state in `socket.data` (or `ctx.storage`), not in fields.
 */
export declare class WebSocketRoom<Env = unknown, Data = unknown> {
	/** The Durable Object's state, as workerd passed it. */
	readonly ctx: RoomState
	readonly env: Env
	constructor(ctx: RoomState, env: Env)
	/** Accepts an upgrade handed over by `toRoom()`; other requests go to `onRequest`. */
	fetch(request: Request): Promise<Response>
	/** Hibernation API handler, called by workerd: dispatches to `onMessage`. */
	webSocketMessage(ws: HibernatableWebSocket, message: string | ArrayBuffer): Promise<void>
	/** Hibernation API handler, called by workerd: answers the close, then `onClose`. */
	webSocketClose(ws: HibernatableWebSocket, code: number, reason: string, wasClean: boolean): Promise<void>
	/** Hibernation API handler, called by workerd: dispatches to `onError`. */
	webSocketError(ws: HibernatableWebSocket, error: unknown): Promise<void>
	/** A socket joined; what it sends here reaches the client right after the 101. */
	onOpen(socket: RoomSocket<Data>, request: Request): void | Promise<void>
	/** A message arrived. An exception here is logged; the socket and the room live on. */
	onMessage(socket: RoomSocket<Data>, message: RoomMessage): void | Promise<void>
	/** A socket closed, with the client's code and reason. */
	onClose(socket: RoomSocket<Data>, event: RoomCloseEvent): void | Promise<void>
	/** A socket failed; `onClose` follows. */
	onError(socket: RoomSocket<Data>, error: unknown): void | Promise<void>
	/** A request to the object that is not a WebSocket upgrade; 426 unless overridden. */
	onRequest(request: Request): Response | Promise<Response>
	/** The open sockets of the room, or those with `tag`. */
	sockets(tag?: string): RoomSocket<Data>[]
	/** Sends to every open socket of the room (or of `tag`, except `except`); returns how many it was sent to. */
	broadcast(data: RoomSendData, options?: BroadcastOptions): number
	/** Closes every open socket of the room (or of `tag`); returns how many. */
	closeAll(code?: number, reason?: string, options?: { tag?: string }): number
}
