// The Node wire: a `ws` connection reporting to a ServerWebSocket.

import type { RawData, WebSocket } from "ws"
import type { SocketControl, Wire } from "../shared/websocket.js"

/** Connects an accepted `ws` socket to its ServerWebSocket and fires `open`. */
export function bindWire(ws: WebSocket, control: SocketControl): void {
	const wire: Wire = {
		get bufferedAmount() {
			return ws.bufferedAmount
		},
		send(data) {
			ws.send(data, { binary: typeof data !== "string" })
		},
		close(code, reason) {
			ws.close(code, reason)
		},
	}
	ws.on("message", (data: RawData, isBinary: boolean) => {
		control.message(isBinary ? toArrayBuffer(data) : toBuffer(data).toString("utf8"))
	})
	// ws reports protocol errors (oversized message, invalid UTF-8, ...) here and then closes.
	ws.on("error", (error: Error) => control.error(error))
	ws.on("close", (code: number, reason: Buffer) => control.closed(code, reason.toString("utf8")))
	control.open(wire, ws.protocol, ws.extensions)
}

function toBuffer(data: RawData): Buffer {
	if (Buffer.isBuffer(data)) return data
	if (Array.isArray(data)) return Buffer.concat(data)
	return Buffer.from(data)
}

function toArrayBuffer(data: RawData): ArrayBuffer {
	const bytes = toBuffer(data)
	const copy = new Uint8Array(bytes.byteLength)
	copy.set(bytes)
	return copy.buffer
}
