// The socket that `locals.upgradeWebSocket()` returns: the browser WebSocket
// interface, declared here so that it needs neither lib.dom nor Node's types.

/** An event of a server WebSocket: `open`, `error`, or the base of the others. */
export interface ServerWebSocketEvent<Type extends string = string> {
	readonly type: Type
	/** The socket the event was fired on. */
	readonly target: ServerWebSocket | null
	readonly currentTarget: ServerWebSocket | null
	readonly timeStamp: number
	preventDefault(): void
	stopPropagation(): void
	stopImmediatePropagation(): void
}

/** A binary message when `binaryType` is `"blob"` (the global Blob at run time). */
export interface ServerWebSocketBlob {
	readonly size: number
	readonly type: string
	arrayBuffer(): Promise<ArrayBuffer>
	text(): Promise<string>
	slice(start?: number, end?: number, contentType?: string): ServerWebSocketBlob
}

/** A message from the client. */
export interface ServerWebSocketMessageEvent extends ServerWebSocketEvent<"message"> {
	/**
	 * A string for a text message. A binary message is a Blob when
	 * `binaryType` is `"blob"` (the default) and an ArrayBuffer when it is
	 * `"arraybuffer"`.
	 */
	readonly data: string | ArrayBuffer | ServerWebSocketBlob
	/** The origin of the socket's URL. */
	readonly origin: string
}

/** The connection is closed. */
export interface ServerWebSocketCloseEvent extends ServerWebSocketEvent<"close"> {
	/** The close code: the peer's, 1005 when it sent none, 1006 when the connection dropped. */
	readonly code: number
	readonly reason: string
	/** Whether the closing handshake completed. */
	readonly wasClean: boolean
}

export interface ServerWebSocketEventMap {
	open: ServerWebSocketEvent<"open">
	message: ServerWebSocketMessageEvent
	error: ServerWebSocketEvent<"error">
	close: ServerWebSocketCloseEvent
}

export interface ServerWebSocketListenerOptions {
	capture?: boolean
	once?: boolean
	passive?: boolean
	/** An AbortSignal: aborting it removes the listener. */
	signal?: { readonly aborted: boolean }
}

/** What `send` accepts, as in browsers. */
export type ServerWebSocketData = string | ArrayBufferLike | ArrayBufferView | ServerWebSocketBlob

/**
 * The server end of a WebSocket, with the interface of the browser's
 * `WebSocket`. It starts `CONNECTING`; `open` fires once the handshake
 * response is written, that is after the route returned `response`, so
 * handlers attached before returning see it. A throw (or a rejected promise)
 * in a handler is logged and never crashes the server.
 */
export interface ServerWebSocket {
	readonly CONNECTING: 0
	readonly OPEN: 1
	readonly CLOSING: 2
	readonly CLOSED: 3
	/** The `ws:` or `wss:` URL the client connected to. */
	readonly url: string
	/** 0 CONNECTING, 1 OPEN, 2 CLOSING, 3 CLOSED. */
	readonly readyState: number
	/**
	 * The selected subprotocol: by default the first the client offered, else
	 * the one given to `upgradeWebSocket({ protocol })`; "" when none.
	 */
	readonly protocol: string
	/** The negotiated extensions, or "". */
	readonly extensions: string
	/** Bytes passed to `send` that have not reached the network yet. */
	readonly bufferedAmount: number
	/** How binary messages arrive: `"blob"` (default) or `"arraybuffer"`; other values are ignored. */
	binaryType: "blob" | "arraybuffer"
	onopen: ((this: ServerWebSocket, event: ServerWebSocketEvent<"open">) => unknown) | null
	onmessage: ((this: ServerWebSocket, event: ServerWebSocketMessageEvent) => unknown) | null
	onerror: ((this: ServerWebSocket, event: ServerWebSocketEvent<"error">) => unknown) | null
	onclose: ((this: ServerWebSocket, event: ServerWebSocketCloseEvent) => unknown) | null
	/**
	 * Sends a message; messages leave in call order (a Blob is read first).
	 * Throws an `InvalidStateError` DOMException while `CONNECTING`; ignored
	 * once closing or closed.
	 */
	send(data: ServerWebSocketData): void
	/**
	 * Starts the closing handshake. `code` must be 1000 or 3000–4999
	 * (`InvalidAccessError`), `reason` at most 123 UTF-8 bytes (`SyntaxError`).
	 */
	close(code?: number, reason?: string): void
	addEventListener<K extends keyof ServerWebSocketEventMap>(
		type: K,
		listener: (this: ServerWebSocket, event: ServerWebSocketEventMap[K]) => unknown,
		options?: boolean | ServerWebSocketListenerOptions,
	): void
	addEventListener(
		type: string,
		listener: ((this: ServerWebSocket, event: ServerWebSocketEvent) => unknown) | { handleEvent(event: ServerWebSocketEvent): unknown },
		options?: boolean | ServerWebSocketListenerOptions,
	): void
	removeEventListener<K extends keyof ServerWebSocketEventMap>(
		type: K,
		listener: (this: ServerWebSocket, event: ServerWebSocketEventMap[K]) => unknown,
		options?: boolean | { capture?: boolean },
	): void
	removeEventListener(
		type: string,
		listener: ((this: ServerWebSocket, event: ServerWebSocketEvent) => unknown) | { handleEvent(event: ServerWebSocketEvent): unknown },
		options?: boolean | { capture?: boolean },
	): void
	dispatchEvent(event: { readonly type: string }): boolean
}
