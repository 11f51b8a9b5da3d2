// The workerd wire: the server end of a WebSocketPair reporting to a
// ServerWebSocket.

import type { SocketControl, Wire } from "../shared/websocket.js"

/** The part of workerd's WebSocket that is used here. */
export interface WorkerWebSocket {
	accept(): void
	send(data: string | ArrayBuffer | ArrayBufferView): void
	close(code?: number, reason?: string): void
	addEventListener(type: "message", listener: (event: { data: string | ArrayBuffer }) => void): void
	addEventListener(type: "close", listener: (event: { code: number; reason: string; wasClean?: boolean }) => void): void
	addEventListener(type: "error", listener: (event: { error?: unknown; message?: string }) => void): void
}

/**
 * Connects an accepted workerd socket to its ServerWebSocket. `open` fires in
 * a microtask, after the handler has returned the 101 response, so handlers
 * attached after `upgradeWebSocket()` see it; workerd buffers what onopen
 * sends until the handshake is written.
 */
export function bindWire(ws: WorkerWebSocket, control: SocketControl, protocol: string): void {
	let closeSent = false
	const wire: Wire = {
		// workerd does not report what it has buffered.
		get bufferedAmount() {
			return 0
		},
		send(data) {
			ws.send(data)
		},
		close(code, reason) {
			closeSent = true
			if (code === undefined) ws.close()
			else ws.close(code, reason)
		},
	}
	ws.addEventListener("message", (event) => {
		const data = event.data
		control.message(typeof data === "string" ? data : toArrayBuffer(data))
	})
	ws.addEventListener("close", (event) => {
		if (!closeSent) {
			// As a browser does, answer the peer's close frame with the same code.
			closeSent = true
			replyClose(ws, event.code, event.reason)
		}
		control.closed(event.code, event.reason)
	})
	ws.addEventListener("error", (event) => {
		control.error(event.error ?? event.message)
		control.closed(1006, "")
	})
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

function toArrayBuffer(data: ArrayBuffer | ArrayBufferView): ArrayBuffer {
	if (data instanceof ArrayBuffer) return data
	const copy = new Uint8Array(data.byteLength)
	copy.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
	return copy.buffer
}
