// The workerd wire: the server end of a WebSocketPair reporting to a
// ServerWebSocket.

import type { SocketControl, Wire } from "../shared/websocket.js"

/** The part of workerd's WebSocket that is used here. */
export interface WorkerWebSocket {
	accept(): void
	send(data: string | ArrayBuffer | ArrayBufferView): void
	close(code?: number, reason?: string): void
	addEventListener(type: "message", listener: (event: { data: string | ArrayBuffer | ArrayBufferView }) => void): void
	addEventListener(type: "close", listener: (event: { code: number; reason: string; wasClean?: boolean }) => void): void
	addEventListener(type: "error", listener: (event: { error?: unknown; message?: string }) => void): void
}

/** One connection's wire: one object, and the three listeners it needs. */
class WorkerWire implements Wire {
	readonly #ws: WorkerWebSocket
	readonly #control: SocketControl
	#closeSent = false

	constructor(ws: WorkerWebSocket, control: SocketControl) {
		this.#ws = ws
		this.#control = control
	}

	// workerd does not report what it has buffered.
	get bufferedAmount(): number {
		return 0
	}

	send(data: string | Uint8Array): void {
		this.#ws.send(data)
	}

	close(code: number | undefined, reason: string): void {
		this.#closeSent = true
		if (code === undefined) this.#ws.close()
		else this.#ws.close(code, reason)
	}

	/** A message: strings and ArrayBuffers go on as they are, no copy, no wrapper. */
	message(data: string | ArrayBuffer | ArrayBufferView): void {
		if (typeof data === "string" || data instanceof ArrayBuffer) this.#control.message(data)
		else this.#control.message(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
	}

	closed(code: number, reason: string): void {
		if (!this.#closeSent) {
			// As a browser does, answer the peer's close frame with the same code.
			this.#closeSent = true
			replyClose(this.#ws, code, reason)
		}
		this.#control.closed(code, reason)
	}

	failed(error: unknown): void {
		this.#control.error(error)
		this.#control.closed(1006, "")
	}
}

/**
 * Connects an accepted workerd socket to its ServerWebSocket. `open` fires in
 * a microtask, after the handler has returned the 101 response, so handlers
 * attached after `upgradeWebSocket()` see it; workerd buffers what onopen
 * sends until the handshake is written.
 */
export function bindWire(ws: WorkerWebSocket, control: SocketControl, protocol: string): void {
	const wire = new WorkerWire(ws, control)
	ws.addEventListener("message", (event) => wire.message(event.data))
	ws.addEventListener("close", (event) => wire.closed(event.code, event.reason))
	ws.addEventListener("error", (event) => wire.failed(event.error ?? event.message))
	queueMicrotask(() => control.open(wire, protocol, ""))
}

function replyClose(ws: WorkerWebSocket, code: number, reason: string): void {
	try {
		// 1005 (no status) and 1006 (no close frame) cannot be sent.
		if (code === 1005 || code === 1006) ws.close()
		else ws.close(code, reason)
	} catch {
		// workerd already answered (web_socket_auto_reply_to_close), or the code is one it refuses to send.
		try {
			ws.close()
		} catch {
			// the connection is gone
		}
	}
}
