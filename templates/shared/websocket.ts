// A server-side WebSocket that behaves like the browser's `WebSocket`, so that
// route code is written exactly as it would be in a browser. It knows nothing
// of Node or Workers: each platform hands it a `Wire` (one established
// connection) through a `SocketControl`, which user code never sees.

import { logError } from "./log.js"

/** One established WebSocket connection, as a platform provides it. */
export interface Wire {
	/** Bytes handed to the wire that have not reached the network yet. */
	readonly bufferedAmount: number
	/** Sends one message: a string as a text frame, bytes as a binary frame. */
	send(data: string | Uint8Array): void
	/** Starts the closing handshake; an undefined code sends a close frame without status. */
	close(code: number | undefined, reason: string): void
}

/** How a platform drives its socket: the handshake result and what the wire reports. */
export interface SocketControl {
	/** The handshake response was written: `open` fires now. */
	open(wire: Wire, protocol: string, extensions: string): void
	/**
	 * A whole message arrived. Bytes may come as an ArrayBuffer, which becomes
	 * the event's data as is, or as a view, which is copied unless it spans
	 * the whole of its ArrayBuffer; the platform must not reuse either.
	 */
	message(data: string | ArrayBuffer | Uint8Array): void
	/** The connection failed; `error` fires right before `close`, as in browsers. */
	error(error: unknown): void
	/** The connection is gone. */
	closed(code: number, reason: string): void
	/** The handshake will never complete (rejected, client gone, timed out): error, then close 1006. */
	abort(): void
}

export type BinaryType = "blob" | "arraybuffer"

/** What `send` accepts, as in browsers. */
export type WebSocketData = string | ArrayBufferLike | ArrayBufferView | Blob

type EventHandler = ((this: ServerWebSocket, event: Event) => unknown) | null
type HandlerType = "open" | "message" | "error" | "close"
type Listener = ((event: Event) => unknown) | { handleEvent(event: Event): unknown }
type ListenerOptions = boolean | { capture?: boolean; once?: boolean; passive?: boolean; signal?: AbortSignal }

type Outgoing =
	| { readonly kind: "data"; readonly data: string | Uint8Array | Promise<Uint8Array>; readonly size: number }
	| { readonly kind: "close"; readonly code: number | undefined; readonly reason: string }

interface CloseEventInit {
	bubbles?: boolean
	cancelable?: boolean
	composed?: boolean
	code?: number
	reason?: string
	wasClean?: boolean
}

/** CloseEvent for runtimes without a global one (Node before 23). */
class WebSocketCloseEvent extends Event {
	readonly code: number
	readonly reason: string
	readonly wasClean: boolean
	constructor(type: string, init: CloseEventInit = {}) {
		super(type, init)
		this.code = init.code ?? 0
		this.reason = init.reason ?? ""
		this.wasClean = init.wasClean ?? false
	}
}

type CloseEventConstructor = new (type: string, init?: CloseEventInit) => Event
const CloseEventClass: CloseEventConstructor =
	(globalThis as { CloseEvent?: CloseEventConstructor }).CloseEvent ?? WebSocketCloseEvent

/**
 * The `message` event. Where the host's MessageEvent is written in JavaScript
 * (Node's, from undici, costs about half a microsecond per event in WebIDL
 * conversions), a plain Event whose prototype chain runs through
 * MessageEvent.prototype: `instanceof MessageEvent` holds and `data`,
 * `origin`, `lastEventId`, `source` and `ports` read as a browser's do.
 * A native MessageEvent (workerd, Deno, browsers) is used as it is.
 */
type MessageEventFactory = (data: unknown, origin: string) => Event

const ports: readonly unknown[] = Object.freeze([])

/** The members of a server's message event that read the same for every message, as a browser's do. */
function defineFixedMessageMembers(proto: object): void {
	const fixed = (value: unknown): PropertyDescriptor => ({ get: () => value, configurable: true })
	Object.defineProperties(proto, { lastEventId: fixed(""), source: fixed(null), ports: fixed(ports) })
}

const createMessageEvent: MessageEventFactory = ((): MessageEventFactory => {
	const Native = (globalThis as { MessageEvent?: typeof MessageEvent }).MessageEvent
	const native: MessageEventFactory = (data, origin) => new MessageEvent("message", { data, origin })
	if (typeof Native !== "function" || !Function.prototype.toString.call(Native).startsWith("class")) return native
	class ServerMessageEvent extends Event {
		readonly #data: unknown
		readonly #origin: string
		constructor(data: unknown, origin: string) {
			super("message")
			this.#data = data
			this.#origin = origin
		}
		get data(): unknown {
			return this.#data
		}
		get origin(): string {
			return this.#origin
		}
	}
	Object.defineProperty(ServerMessageEvent, "name", { value: "MessageEvent" })
	defineFixedMessageMembers(ServerMessageEvent.prototype)
	try {
		Object.setPrototypeOf(ServerMessageEvent.prototype, Native.prototype)
		const probe = new ServerMessageEvent("", "")
		if (!(probe instanceof Native) || probe.type !== "message" || !(probe instanceof Event)) return native
	} catch {
		return native
	}
	return (data, origin) => new ServerMessageEvent(data, origin)
})()

/**
 * The `message` event of a socket whose only message listener is its
 * `onmessage` handler, the usual case. The socket calls the handler itself
 * rather than through the host's EventTarget, and the event is an object of
 * its own that answers every member of Event and MessageEvent as a dispatched
 * browser event does (target, currentTarget and eventPhase while the handler
 * runs, and after). It skips the host's Event constructor, which on Node
 * reads the clock for timeStamp on every message: timeStamp is read when it
 * is first asked for. Used only where every member of the host's Event and
 * MessageEvent is covered (checked below); elsewhere, or with listeners
 * added, messages are dispatched as usual.
 */
interface DirectMessageEvents {
	create(data: unknown, origin: string, target: EventTarget): Event
	/** The handler returned: currentTarget and eventPhase read as after a dispatch. */
	dispatched(event: Event): void
}

const INSPECT = Symbol.for("nodejs.util.inspect.custom")

const directMessageEvents: DirectMessageEvents | undefined = ((): DirectMessageEvents | undefined => {
	const Native = (globalThis as { MessageEvent?: typeof MessageEvent }).MessageEvent
	// Only where MessageEvent is written in JavaScript (Node), not native (workerd, Deno).
	if (typeof Native !== "function" || typeof EventTarget !== "function") return undefined
	if (!Function.prototype.toString.call(Native).startsWith("class")) return undefined
	const AT_TARGET = 2
	const NONE = 0
	let endDispatch!: (event: DirectMessageEvent) => void
	class DirectMessageEvent {
		readonly #data: unknown
		readonly #origin: string
		readonly #target: EventTarget
		#dispatching = true
		#stopped = false
		#timeStamp: number | undefined
		constructor(data: unknown, origin: string, target: EventTarget) {
			this.#data = data
			this.#origin = origin
			this.#target = target
		}
		static {
			endDispatch = (event) => {
				event.#dispatching = false
			}
		}
		get type(): string {
			return "message"
		}
		get target(): EventTarget {
			return this.#target
		}
		get srcElement(): EventTarget {
			return this.#target
		}
		get currentTarget(): EventTarget | null {
			return this.#dispatching ? this.#target : null
		}
		get eventPhase(): number {
			return this.#dispatching ? AT_TARGET : NONE
		}
		composedPath(): EventTarget[] {
			return this.#dispatching ? [this.#target] : []
		}
		get bubbles(): boolean {
			return false
		}
		get cancelable(): boolean {
			return false
		}
		get composed(): boolean {
			return false
		}
		get defaultPrevented(): boolean {
			return false
		}
		get returnValue(): boolean {
			return true
		}
		set returnValue(_value: boolean) {
			// not cancelable: nothing to prevent
		}
		get cancelBubble(): boolean {
			return this.#stopped
		}
		set cancelBubble(value: boolean) {
			if (value) this.#stopped = true
		}
		stopPropagation(): void {
			this.#stopped = true
		}
		stopImmediatePropagation(): void {
			this.#stopped = true
		}
		preventDefault(): void {
			// not cancelable: nothing to prevent
		}
		initEvent(): void {
			// a dispatched event keeps its type, as in browsers during dispatch
		}
		get isTrusted(): boolean {
			return false
		}
		get timeStamp(): number {
			return (this.#timeStamp ??= performance.now())
		}
		get data(): unknown {
			return this.#data
		}
		get origin(): string {
			return this.#origin
		}
		[INSPECT](depth: number): string | object {
			if (depth < 0) return "MessageEvent"
			const shown = { type: "message", defaultPrevented: false, cancelable: false, timeStamp: this.timeStamp, data: this.#data }
			Object.defineProperty(shown, Symbol.toStringTag, { value: "MessageEvent" })
			return shown
		}
	}
	Object.defineProperty(DirectMessageEvent, "name", { value: "MessageEvent" })
	defineFixedMessageMembers(DirectMessageEvent.prototype)
	try {
		Object.setPrototypeOf(DirectMessageEvent.prototype, Native.prototype)
		// Where the host's MessageEvent has the legacy initializer (Node 22 and later), as initEvent.
		if (typeof (Native.prototype as { initMessageEvent?: unknown }).initMessageEvent === "function") {
			Object.defineProperty(DirectMessageEvent.prototype, "initMessageEvent", {
				value: function initMessageEvent(): void {},
				writable: true,
				configurable: true,
			})
		}
		// Every member the host's Event and MessageEvent have must be answered here,
		// or the host's own would run on an object it does not know and throw.
		const own = new Set(Reflect.ownKeys(DirectMessageEvent.prototype))
		for (const proto of [Event.prototype, Native.prototype]) {
			for (const key of Reflect.ownKeys(proto)) {
				if (key === "constructor" || key === Symbol.toStringTag || own.has(key)) continue
				const descriptor = Object.getOwnPropertyDescriptor(proto, key)
				// Constants (NONE, AT_TARGET...) read the same on any object.
				if (descriptor !== undefined && !("get" in descriptor) && typeof descriptor.value !== "function") continue
				return undefined
			}
		}
		const probe = new DirectMessageEvent("", "", new EventTarget())
		if (!(probe instanceof Native) || !(probe instanceof Event)) return undefined
	} catch {
		return undefined
	}
	return {
		create: (data, origin, target) => new DirectMessageEvent(data, origin, target) as unknown as Event,
		dispatched: (event) => endDispatch(event as unknown as DirectMessageEvent),
	}
})()

const INTERNAL = Symbol("zastro.websocket")
const CONNECTING = 0
const OPEN = 1
const CLOSING = 2
const CLOSED = 3
// The socket's flags.
const CLOSE_SENT = 1
const FAILED = 2
const DRAINING = 4
// addEventListener() was called for the type. An event that no handler and no
// listener would hear is not made at all; messages with listeners go through
// the host's dispatch.
const LISTENERS: Readonly<Record<HandlerType, number>> = { open: 8, message: 16, error: 32, close: 64 }
// The handler of the type is registered with the host's EventTarget. A
// handler joins the host's listeners only when something else needs it
// there: a listener of its type added later (which must run after it), or an
// event of its type dispatched through the host. Until then an open socket
// keeps no listener entry for it, and messages reach it directly.
const HANDLER_ADDED: Readonly<Record<HandlerType, number>> = { open: 128, message: 256, error: 512, close: 1024 }

// workerd (Cloudflare Workers) calls an EventTarget's `on<type>` property by
// itself on every dispatch, ahead of the listeners (cloudflare/workerd#6022):
// the socket's handlers would run twice, the second time unguarded. Where the
// host does so, the handler properties read as null while the socket
// dispatches, and the handlers run once, through their guarded listener.
const HOST_CALLS_HANDLER_PROPERTIES = ((): boolean => {
	let called = false
	try {
		class Probe extends EventTarget {
			get onzastroprobe(): () => void {
				return () => {
					called = true
				}
			}
		}
		new Probe().dispatchEvent(new Event("zastroprobe"))
	} catch {
		// no EventTarget to probe: nothing to work around
	}
	return called
})()

// Node's EventTarget gives each instance a second Map, for the `on<type>`
// properties of Node's own classes (AbortSignal, MessagePort, ...); only those
// properties ever read it, and this class defines its own, so each socket's
// Map would stay empty for life. The socket lets go of it. Elsewhere (workerd,
// Deno) there is no such property and nothing to do.
const HOST_HANDLER_MAP = ((): symbol | undefined => {
	try {
		const probe = new EventTarget() as unknown as Record<symbol, unknown>
		return Object.getOwnPropertySymbols(probe).find((key) => key.description === "kHandlers" && isEmptyMap(probe[key]))
	} catch {
		return undefined
	}
})()

/** A Map, Node's internal kind (its prototype chain is not Map.prototype's) included, without entries. */
function isEmptyMap(value: unknown): boolean {
	try {
		Map.prototype.has.call(value, "") // throws unless a Map
		return (value as Map<unknown, unknown>).size === 0
	} catch {
		return false
	}
}

// The socket's private steps, for its Control (set in the class's static block).
let openSocket!: (socket: ServerWebSocket, wire: Wire, protocol: string, extensions: string) => void
let messageSocket!: (socket: ServerWebSocket, data: string | ArrayBuffer | Uint8Array) => void
let failSocket!: (socket: ServerWebSocket) => void
let closedSocket!: (socket: ServerWebSocket, code: number, reason: string) => void
let abortSocket!: (socket: ServerWebSocket) => void
let runHandler!: (socket: ServerWebSocket, type: HandlerType, event: Event) => void

/**
 * The listener that runs a socket's `on<type>` handler, one per type shared by
 * every socket: an EventTarget calls it with the socket as `this` (and as the
 * event's currentTarget), and it reads the handler when it runs, so replacing
 * a handler keeps its place among the listeners.
 */
function handlerListener(type: HandlerType): (this: unknown, event: Event) => void {
	return function (this: unknown, event: Event): void {
		const socket = this instanceof ServerWebSocket ? this : event.currentTarget
		if (socket instanceof ServerWebSocket) runHandler(socket, type, event)
	}
}

/** How a platform drives one socket: one small object, no closures per connection. */
class Control implements SocketControl {
	readonly #socket: ServerWebSocket
	constructor(socket: ServerWebSocket) {
		this.#socket = socket
	}
	open(wire: Wire, protocol: string, extensions: string): void {
		openSocket(this.#socket, wire, protocol, extensions)
	}
	message(data: string | ArrayBuffer | Uint8Array): void {
		messageSocket(this.#socket, data)
	}
	error(_error: unknown): void {
		failSocket(this.#socket)
	}
	closed(code: number, reason: string): void {
		closedSocket(this.#socket, code, reason)
	}
	abort(): void {
		abortSocket(this.#socket)
	}
}

/**
 * The server end of a WebSocket, with the browser `WebSocket` interface.
 * Created CONNECTING by `upgradeWebSocket()`; `open` fires once the handshake
 * response was written, so handlers attached before the route returns see it.
 */
export class ServerWebSocket extends EventTarget {
	static readonly CONNECTING = CONNECTING
	static readonly OPEN = OPEN
	static readonly CLOSING = CLOSING
	static readonly CLOSED = CLOSED
	declare readonly CONNECTING: 0
	declare readonly OPEN: 1
	declare readonly CLOSING: 2
	declare readonly CLOSED: 3

	readonly #url: string
	#readyState: number = CONNECTING
	#protocol = ""
	#extensions = ""
	#binaryType: BinaryType = "blob"
	#wire: Wire | undefined
	// CLOSE_SENT, FAILED, DRAINING and the LISTENERS bits, in one field.
	#flags = 0
	#pendingClose: { code: number | undefined; reason: string } | undefined
	// Made on first use: most sockets never queue, and have one or two handlers.
	#queue: Outgoing[] | undefined
	#queuedBytes = 0
	#discardedBytes = 0
	// The on<type> handlers, a field each rather than a record per socket.
	#onopen: NonNullable<EventHandler> | undefined
	#onmessage: NonNullable<EventHandler> | undefined
	#onerror: NonNullable<EventHandler> | undefined
	#onclose: NonNullable<EventHandler> | undefined
	#guards: WeakMap<object, Map<string, (event: Event) => void>> | undefined
	#origin: string | undefined
	#dispatching = 0

	static {
		openSocket = (socket, wire, protocol, extensions) => socket.#open(wire, protocol, extensions)
		messageSocket = (socket, data) => socket.#message(data)
		failSocket = (socket) => {
			socket.#flags |= FAILED
		}
		closedSocket = (socket, code, reason) => socket.#closed(code, reason)
		abortSocket = (socket) => socket.#abort()
		runHandler = (socket, type, event) => {
			const handler = socket.#handlerOf(type)
			if (handler !== undefined) socket.#invoke(type, handler, event)
		}
	}

	/** Not constructible by user code: sockets come from `upgradeWebSocket()`. */
	constructor(url: string, key?: symbol) {
		if (key !== INTERNAL) {
			throw new TypeError("Illegal constructor: server WebSockets come from locals.upgradeWebSocket()")
		}
		super()
		if (HOST_HANDLER_MAP !== undefined) (this as unknown as Record<symbol, unknown>)[HOST_HANDLER_MAP] = undefined
		this.#url = url
	}

	get url(): string {
		return this.#url
	}
	get readyState(): number {
		return this.#readyState
	}
	get protocol(): string {
		return this.#protocol
	}
	get extensions(): string {
		return this.#extensions
	}
	get bufferedAmount(): number {
		return this.#queuedBytes + this.#discardedBytes + (this.#wire?.bufferedAmount ?? 0)
	}
	get binaryType(): BinaryType {
		return this.#binaryType
	}
	set binaryType(value: BinaryType) {
		// Browsers ignore values outside the enumeration.
		if (value === "blob" || value === "arraybuffer") this.#binaryType = value
	}

	get onopen(): EventHandler {
		return this.#handler("open")
	}
	set onopen(value: EventHandler) {
		this.#setHandler("open", value)
	}
	get onmessage(): EventHandler {
		return this.#handler("message")
	}
	set onmessage(value: EventHandler) {
		this.#setHandler("message", value)
	}
	get onerror(): EventHandler {
		return this.#handler("error")
	}
	set onerror(value: EventHandler) {
		this.#setHandler("error", value)
	}
	get onclose(): EventHandler {
		return this.#handler("close")
	}
	set onclose(value: EventHandler) {
		this.#setHandler("close", value)
	}

	override addEventListener(type: string, listener: Listener | null, options?: ListenerOptions): void {
		if (listener === null || listener === undefined) return
		if (type === "open" || type === "message" || type === "error" || type === "close") {
			this.#flags |= LISTENERS[type]
			this.#addHandlerListener(type) // a handler set before goes first
		}
		super.addEventListener(type, this.#guard(type, listener), options)
	}

	override removeEventListener(type: string, listener: Listener | null, options?: ListenerOptions): void {
		if (listener === null || listener === undefined) return
		// An aborted `signal` makes the host remove the guarded listener itself.
		const guarded = GUARDED.has(listener) ? (listener as (event: Event) => void) : this.#guards?.get(listener)?.get(type)
		if (guarded) super.removeEventListener(type, guarded, options)
	}

	override dispatchEvent(event: Event): boolean {
		const type = event?.type
		if (type === "open" || type === "message" || type === "error" || type === "close") this.#addHandlerListener(type)
		this.#dispatching++
		try {
			return super.dispatchEvent(event)
		} finally {
			this.#dispatching--
		}
	}

	/** Sends a message in call order; Blobs are read first, later sends wait for them. */
	send(data: WebSocketData): void {
		// The common case, kept small so that the compiler inlines it into the
		// handler: a string with nothing waiting ahead of it, so no size to keep.
		if (typeof data === "string" && this.#readyState === OPEN && this.#queue === undefined) {
			this.#write(data)
			return
		}
		this.#sendOther(data, arguments.length)
	}

	#sendOther(data: WebSocketData, argumentCount: number): void {
		if (argumentCount === 0) {
			throw new TypeError("Failed to execute 'send' on 'WebSocket': 1 argument required, but only 0 present.")
		}
		if (this.#readyState === CONNECTING) {
			throw new DOMException(
				"Failed to execute 'send' on 'WebSocket': Still in CONNECTING state. Wait for the open event.",
				"InvalidStateError",
			)
		}
		if (typeof data === "string" && this.#readyState === OPEN && this.#queue === undefined) {
			this.#write(data)
			return
		}
		const { payload, size } = outgoing(data)
		if (this.#readyState !== OPEN) {
			// Browsers ignore sends after close() but still count them.
			this.#discardedBytes += size
			if (payload instanceof Promise) payload.catch(() => {})
			return
		}
		if (this.#queue === undefined && !(payload instanceof Promise)) {
			this.#write(payload)
			return
		}
		;(this.#queue ??= []).push({ kind: "data", data: payload, size })
		this.#queuedBytes += size
		void this.#drain()
	}

	/** Starts the closing handshake, with the browser's validation of code and reason. */
	close(code?: number, reason?: string): void {
		const { code: closeCode, reason: text } = closeArguments(code, reason)
		if (this.#readyState === CLOSING || this.#readyState === CLOSED) return
		if (this.#readyState === CONNECTING) {
			// On the server the handshake is ours to finish: it completes and closes at once.
			this.#pendingClose = { code: closeCode, reason: text }
			this.#readyState = CLOSING
			return
		}
		this.#readyState = CLOSING
		if (this.#queue === undefined) {
			this.#closeWire(closeCode, text)
		} else {
			this.#queue.push({ kind: "close", code: closeCode, reason: text })
			void this.#drain()
		}
	}

	#open(wire: Wire, protocol: string, extensions: string): void {
		if (this.#wire !== undefined || this.#readyState === CLOSED) return
		this.#wire = wire
		this.#protocol = protocol
		this.#extensions = extensions
		if (this.#pendingClose) {
			this.#closeWire(this.#pendingClose.code, this.#pendingClose.reason)
			return
		}
		this.#readyState = OPEN
		if (this.#hears("open")) this.dispatchEvent(new Event("open"))
	}

	#message(data: string | ArrayBuffer | Uint8Array): void {
		// As in browsers, messages that arrive after close() are dropped.
		if (this.#readyState !== OPEN) return
		const value = typeof data === "string" ? data : this.#binaryValue(data)
		const origin = (this.#origin ??= originOf(this.#url))
		if (directMessageEvents !== undefined && (this.#flags & LISTENERS.message) === 0) {
			// Only the handler listens, if anyone: it is called without the host's dispatch.
			const handler = this.#onmessage
			if (handler === undefined) return
			const event = directMessageEvents.create(value, origin, this)
			this.#invoke("message", handler, event)
			directMessageEvents.dispatched(event)
			return
		}
		this.dispatchEvent(createMessageEvent(value, origin))
	}

	#binaryValue(data: ArrayBuffer | Uint8Array): ArrayBuffer | Blob {
		if (this.#binaryType === "blob") return new Blob([data]) // copies the bytes itself
		return data instanceof ArrayBuffer ? data : ownArrayBuffer(data)
	}

	#closed(code: number, reason: string): void {
		if (this.#readyState === CLOSED) return
		this.#readyState = CLOSED
		this.#wire = undefined
		this.#discardedBytes += this.#queuedBytes
		this.#queuedBytes = 0
		this.#queue = undefined
		const failed = (this.#flags & FAILED) !== 0
		const wasClean = !failed && code !== 1006
		if (failed && this.#hears("error")) this.dispatchEvent(new Event("error"))
		if (this.#hears("close")) this.dispatchEvent(new CloseEventClass("close", { code, reason, wasClean }))
	}

	#abort(): void {
		if (this.#readyState === CLOSED || this.#wire !== undefined) return
		this.#readyState = CLOSED
		queueMicrotask(() => {
			if (this.#hears("error")) this.dispatchEvent(new Event("error"))
			if (this.#hears("close")) this.dispatchEvent(new CloseEventClass("close", { code: 1006, reason: "", wasClean: false }))
		})
	}

	#write(data: string | Uint8Array): void {
		if (this.#wire === undefined || (this.#flags & CLOSE_SENT) !== 0) return
		try {
			this.#wire.send(data)
		} catch (error) {
			logError("Sending a WebSocket message failed.", error)
		}
	}

	#closeWire(code: number | undefined, reason: string): void {
		if (this.#wire === undefined || (this.#flags & CLOSE_SENT) !== 0) return
		this.#flags |= CLOSE_SENT
		try {
			this.#wire.close(code, reason)
		} catch (error) {
			logError("Closing a WebSocket failed.", error)
		}
	}

	async #drain(): Promise<void> {
		if ((this.#flags & DRAINING) !== 0) return
		this.#flags |= DRAINING
		try {
			let queue: Outgoing[] | undefined
			while ((queue = this.#queue) !== undefined && queue.length > 0) {
				const item = queue[0]
				if (item.kind === "close") {
					queue.shift()
					this.#closeWire(item.code, item.reason)
					continue
				}
				let data: string | Uint8Array | undefined
				try {
					data = await item.data
				} catch (error) {
					logError("Reading a Blob passed to WebSocket.send() failed; that message was not sent.", error)
				}
				if (this.#queue !== queue || queue[0] !== item) return // the connection closed meanwhile
				queue.shift()
				this.#queuedBytes -= item.size
				if (data !== undefined) this.#write(data)
			}
			// Empty again: later sends go straight to the wire.
			if (this.#queue?.length === 0) this.#queue = undefined
		} finally {
			this.#flags &= ~DRAINING
		}
	}

	/** Whether a handler or a listener would hear an event of the type. */
	#hears(type: HandlerType): boolean {
		return (this.#flags & LISTENERS[type]) !== 0 || this.#handlerOf(type) !== undefined
	}

	#handler(type: HandlerType): EventHandler {
		if (HOST_CALLS_HANDLER_PROPERTIES && this.#dispatching > 0) return null
		return this.#handlerOf(type) ?? null
	}

	#setHandler(type: HandlerType, value: EventHandler): void {
		const current = this.#handlerOf(type)
		if (typeof value !== "function") {
			if (current !== undefined) {
				if ((this.#flags & HANDLER_ADDED[type]) !== 0) {
					super.removeEventListener(type, HANDLER_LISTENERS[type])
					this.#flags &= ~HANDLER_ADDED[type]
				}
				this.#setHandlerOf(type, undefined)
			}
			return
		}
		// Replacing a handler keeps its place among the listeners, as in browsers;
		// a new one goes after the listeners there are.
		this.#setHandlerOf(type, value)
		if (current === undefined && (this.#flags & LISTENERS[type]) !== 0) this.#addHandlerListener(type)
	}

	/** Registers the type's handler with the host's EventTarget, if there is one and it is not yet. */
	#addHandlerListener(type: HandlerType): void {
		if ((this.#flags & HANDLER_ADDED[type]) !== 0 || this.#handlerOf(type) === undefined) return
		this.#flags |= HANDLER_ADDED[type]
		super.addEventListener(type, HANDLER_LISTENERS[type])
	}

	#handlerOf(type: HandlerType): NonNullable<EventHandler> | undefined {
		switch (type) {
			case "open":
				return this.#onopen
			case "message":
				return this.#onmessage
			case "error":
				return this.#onerror
			case "close":
				return this.#onclose
		}
	}

	#setHandlerOf(type: HandlerType, value: NonNullable<EventHandler> | undefined): void {
		switch (type) {
			case "open":
				this.#onopen = value
				break
			case "message":
				this.#onmessage = value
				break
			case "error":
				this.#onerror = value
				break
			case "close":
				this.#onclose = value
				break
		}
	}

	#guard(type: string, listener: Listener): (event: Event) => void {
		this.#guards ??= new WeakMap()
		let byType = this.#guards.get(listener)
		if (!byType) {
			byType = new Map()
			this.#guards.set(listener, byType)
		}
		let guarded = byType.get(type)
		if (!guarded) {
			guarded = (event: Event) => this.#invoke(type, listener, event)
			GUARDED.add(guarded)
			byType.set(type, guarded)
		}
		return guarded
	}

	/** Runs user code so that neither a throw nor a rejected promise can reach the server. */
	#invoke(type: string, listener: Listener | NonNullable<EventHandler>, event: Event): void {
		// Small on purpose (the rare cases live in functions of their own), so
		// that the compiler inlines it, and the handler, into the message path.
		try {
			const result = typeof listener === "function" ? listener.call(this, event) : callHandleEvent(type, listener, event)
			if (result !== undefined) watchResult(type, result)
		} catch (error) {
			reportHandlerError(type, error)
		}
	}
}

/** The wrappers `addEventListener` registers in place of user listeners. */
const GUARDED = new WeakSet<object>()

const HANDLER_LISTENERS: Readonly<Record<HandlerType, (this: unknown, event: Event) => void>> = {
	open: handlerListener("open"),
	message: handlerListener("message"),
	error: handlerListener("error"),
	close: handlerListener("close"),
}

for (const [name, value] of [
	["CONNECTING", CONNECTING],
	["OPEN", OPEN],
	["CLOSING", CLOSING],
	["CLOSED", CLOSED],
] as const) {
	Object.defineProperty(ServerWebSocket.prototype, name, { value, enumerable: true })
}

/** Creates a CONNECTING socket and the control its platform drives it with. */
export function createServerWebSocket(url: string): { socket: ServerWebSocket; control: SocketControl } {
	const socket = new ServerWebSocket(url, INTERNAL)
	return { socket, control: new Control(socket) }
}

function callHandleEvent(type: string, listener: Listener | NonNullable<EventHandler>, event: Event): unknown {
	const handleEvent = (listener as { handleEvent?: unknown }).handleEvent
	if (typeof handleEvent !== "function") throw new TypeError(`The "${type}" listener has no handleEvent method.`)
	return handleEvent.call(listener, event)
}

/** A handler's returned promise that rejects is reported like a throw. */
function watchResult(type: string, result: unknown): void {
	if (isThenable(result)) result.then(undefined, (error: unknown) => reportHandlerError(type, error))
}

function reportHandlerError(type: string, error: unknown): void {
	logError(`Uncaught error in a WebSocket "${type}" event handler:`, error)
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
	return (
		(typeof value === "object" || typeof value === "function") &&
		value !== null &&
		typeof (value as { then?: unknown }).then === "function"
	)
}

/** Copies what `send` was given, as browsers do at call time; Blobs resolve later. */
function outgoing(data: WebSocketData): { payload: string | Uint8Array | Promise<Uint8Array>; size: number } {
	if (typeof data === "string") return { payload: data, size: utf8Length(data) }
	if (ArrayBuffer.isView(data)) {
		const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice()
		return { payload: bytes, size: bytes.byteLength }
	}
	if (data instanceof ArrayBuffer || isSharedArrayBuffer(data)) {
		const bytes = new Uint8Array(data).slice()
		return { payload: bytes, size: bytes.byteLength }
	}
	if (isBlob(data)) {
		return { payload: data.arrayBuffer().then((buffer) => new Uint8Array(buffer)), size: data.size }
	}
	// Browsers convert anything else to a string.
	const text = String(data)
	return { payload: text, size: utf8Length(text) }
}

/**
 * The bytes of a view as an ArrayBuffer of their own: the view's buffer when
 * the view spans all of it (nothing else can reach those bytes), else a copy.
 */
function ownArrayBuffer(view: Uint8Array): ArrayBuffer {
	const buffer = view.buffer
	if (view.byteOffset === 0 && view.byteLength === buffer.byteLength && buffer instanceof ArrayBuffer) return buffer
	return buffer.slice(view.byteOffset, view.byteOffset + view.byteLength) as ArrayBuffer
}

function isSharedArrayBuffer(value: unknown): value is SharedArrayBuffer {
	return typeof SharedArrayBuffer === "function" && value instanceof SharedArrayBuffer
}

function isBlob(value: unknown): value is Blob {
	if (typeof Blob === "function" && value instanceof Blob) return true
	return (
		typeof value === "object" &&
		value !== null &&
		typeof (value as { arrayBuffer?: unknown }).arrayBuffer === "function" &&
		typeof (value as { size?: unknown }).size === "number"
	)
}

/**
 * The code and reason of `close(code?, reason?)`, validated as browsers do
 * (they throw before anything else happens); a reason without a code means 1000.
 */
export function closeArguments(code: number | undefined, reason: string | undefined): { code: number | undefined; reason: string } {
	let closeCode: number | undefined
	if (code !== undefined) {
		closeCode = clampUnsignedShort(code)
		if (closeCode !== 1000 && (closeCode < 3000 || closeCode > 4999)) {
			throw new DOMException(
				`Failed to execute 'close' on 'WebSocket': The close code must be either 1000, or between 3000 and 4999. ${closeCode} is neither.`,
				"InvalidAccessError",
			)
		}
	}
	const text = reason === undefined ? "" : wellFormed(String(reason))
	if (utf8Length(text) > 123) {
		throw new DOMException(
			"Failed to execute 'close' on 'WebSocket': The close reason must not be greater than 123 UTF-8 bytes.",
			"SyntaxError",
		)
	}
	if (closeCode === undefined && reason !== undefined) closeCode = 1000
	return { code: closeCode, reason: text }
}

/** WebIDL [Clamp] unsigned short, as browsers convert close codes. */
function clampUnsignedShort(value: unknown): number {
	let x = Number(value)
	if (Number.isNaN(x)) return 0
	x = Math.min(Math.max(x, 0), 65535)
	const floor = Math.floor(x)
	const fraction = x - floor
	if (fraction > 0.5) return floor + 1
	if (fraction < 0.5) return floor
	return floor % 2 === 0 ? floor : floor + 1
}

/** Replaces lone surrogates with U+FFFD, as a USVString conversion does. */
function wellFormed(text: string): string {
	return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD")
}

/** UTF-8 length of a string, lone surrogates counted as U+FFFD. */
export function utf8Length(text: string): number {
	let length = 0
	for (let i = 0; i < text.length; i++) {
		const unit = text.charCodeAt(i)
		if (unit < 0x80) length += 1
		else if (unit < 0x800) length += 2
		else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
			const next = text.charCodeAt(i + 1)
			if (next >= 0xdc00 && next <= 0xdfff) {
				length += 4
				i++
			} else {
				length += 3
			}
		} else length += 3
	}
	return length
}

// Sockets of one route share their URL text: the last origin computed is
// handed out again as the same string, rather than a copy per socket.
let lastUrl = ""
let lastOrigin = ""

function originOf(url: string): string {
	if (url === lastUrl) return lastOrigin
	let origin = ""
	try {
		origin = new URL(url).origin
	} catch {
		// no origin, as for an opaque URL
	}
	lastUrl = url
	lastOrigin = origin
	return origin
}
