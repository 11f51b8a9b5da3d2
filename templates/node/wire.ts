// The Node wire: a `ws` connection reporting to a ServerWebSocket.
//
// Per connection there is one NodeWire and nothing else: the `ws` listeners
// are shared functions that find their wire on the `ws` object, sends reuse
// two constant option objects, and received bytes are handed on without a
// copy (shared/websocket.ts copies only views that do not own their memory).
//
// A text message is handed to the route as a string, and routes often send
// that same string on (an echo, a relay to other sockets, a broadcast). While
// a text message is dispatched, its received bytes are kept beside its
// string: sending the very string again writes those bytes, as ws's own echo
// does, rather than encoding the string once more for every socket. They are
// the string's UTF-8 exactly, since ws checked them as UTF-8 before
// decoding (no socket here skips that check). The time the message was
// received is kept too, for the statistics of the sends its handler makes.

import type { RawData, WebSocket } from "ws"
import type { SocketControl, Wire } from "../shared/websocket.js"
import type { TrafficMeter } from "./connection-manager.js"

const WIRE = Symbol("zastro.wire")
const TEXT = { binary: false } as const
const BINARY = { binary: true } as const

type WiredSocket = WebSocket & { [WIRE]?: NodeWire }

// The text message being dispatched and its received bytes, and when the
// message being dispatched (text or binary) was received; empty outside a dispatch.
let dispatchedText: string | undefined
let dispatchedBytes: Buffer | undefined
let dispatchedAt: number | undefined

class NodeWire implements Wire {
	readonly ws: WebSocket
	readonly control: SocketControl
	readonly meter: TrafficMeter | undefined

	constructor(ws: WebSocket, control: SocketControl, meter: TrafficMeter | undefined) {
		this.ws = ws
		this.control = control
		this.meter = meter
	}

	get bufferedAmount(): number {
		return this.ws.bufferedAmount
	}

	send(data: string | Uint8Array): void {
		const ws = this.ws
		if (typeof data === "string") {
			// The string being dispatched goes out as the bytes it came in as.
			const bytes = data === dispatchedText ? dispatchedBytes : undefined
			if (this.meter !== undefined && ws.readyState === ws.OPEN) {
				this.meter.sent(bytes !== undefined ? bytes.byteLength : Buffer.byteLength(data), dispatchedAt)
			}
			ws.send(bytes ?? data, TEXT)
			return
		}
		if (this.meter !== undefined && ws.readyState === ws.OPEN) this.meter.sent(data.byteLength, dispatchedAt)
		ws.send(data, BINARY)
	}

	close(code: number | undefined, reason: string): void {
		this.ws.close(code, reason)
	}
}

/**
 * Connects an accepted `ws` socket to its ServerWebSocket and fires `open`.
 * `meter` counts the messages and payload bytes of each direction, and hears
 * of the close before the route's socket does.
 */
export function bindWire(ws: WebSocket, control: SocketControl, meter?: TrafficMeter): void {
	const wire = new NodeWire(ws, control, meter)
	;(ws as WiredSocket)[WIRE] = wire
	ws.on("message", onMessage)
	// ws reports protocol errors (oversized message, invalid UTF-8, ...) here and then closes.
	ws.on("error", onError)
	ws.on("close", onClose)
	control.open(wire, ws.protocol, ws.extensions)
}

// Kept small so that the compiler inlines the socket's dispatch into it; the
// rarer shapes of `data` go through otherMessage().
function onMessage(this: WiredSocket, data: RawData, isBinary: boolean): void {
	const wire = this[WIRE]
	if (wire === undefined) return
	if (isBinary || !Buffer.isBuffer(data)) return otherMessage(wire, data, isBinary)
	const at = wire.meter?.received(data.byteLength)
	const text = data.toString()
	const outerText = dispatchedText
	const outerBytes = dispatchedBytes
	const outerAt = dispatchedAt
	dispatchedText = text
	dispatchedBytes = data
	dispatchedAt = at
	try {
		wire.control.message(text)
	} finally {
		// A message dispatched from within another's handler (a socket closed
		// by its peer's handler...) leaves the outer one as it was.
		dispatchedText = outerText
		dispatchedBytes = outerBytes
		dispatchedAt = outerAt
	}
}

function otherMessage(wire: NodeWire, data: RawData, isBinary: boolean): void {
	if (Array.isArray(data)) data = Buffer.concat(data) // only with binaryType "fragments", never set here
	if (isBinary) {
		const outerAt = dispatchedAt
		dispatchedAt = wire.meter?.received(data.byteLength)
		try {
			wire.control.message(data instanceof ArrayBuffer ? data : (data as Uint8Array))
		} finally {
			dispatchedAt = outerAt
		}
		return
	}
	// Text that ws handed over as something other than a Buffer (not with its default binaryType).
	const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data)
	onMessage.call(wire.ws as WiredSocket, bytes, false)
}

function onError(this: WiredSocket, error: Error): void {
	this[WIRE]?.control.error(error)
}

function onClose(this: WiredSocket, code: number, reason: Buffer): void {
	const wire = this[WIRE]
	if (wire === undefined) return
	const text = reason.toString("utf8")
	wire.meter?.ended(code, text)
	wire.control.closed(code, text)
}
