// The Node wire: a `ws` connection reporting to a ServerWebSocket.

import type { RawData, WebSocket } from "ws"
import type { SocketControl, Wire } from "../shared/websocket.js"
import type { TrafficMeter } from "./connection-manager.js"

/**
 * Connects an accepted `ws` socket to its ServerWebSocket and fires `open`.
 * `meter` counts the messages and payload bytes of each direction.
 */
export function bindWire(ws: WebSocket, control: SocketControl, meter?: TrafficMeter): void {
	const wire: Wire = {
		get bufferedAmount() {
			return ws.bufferedAmount
		},
		send(data) {
			if (meter !== undefined && ws.readyState === ws.OPEN) {
				meter.sent(typeof data === "string" ? Buffer.byteLength(data) : data.byteLength)
			}
			ws.send(data, { binary: typeof data !== "string" })
		},
		close(code, reason) {
			ws.close(code, reason)
		},
	}
	ws.on("message", (data: RawData, isBinary: boolean) => {
		meter?.received(byteLength(data))
		control.message(isBinary ? toArrayBuffer(data) : toBuffer(data).toString("utf8"))
	})
	// ws reports protocol errors (oversized message, invalid UTF-8, ...) here and then closes.
	ws.on("error", (error: Error) => control.error(error))
	ws.on("close", (code: number, reason: Buffer) => control.closed(code, reason.toString("utf8")))
	control.open(wire, ws.protocol, ws.extensions)
}

function byteLength(data: RawData): number {
	if (Array.isArray(data)) return data.reduce((sum, chunk) => sum + chunk.byteLength, 0)
	return data.byteLength
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
