// The socket's events as a browser's WebSocket dispatches them: the
// `on<type>` handlers hold their place among the listeners, run with the
// socket as `this`, currentTarget and target, and can be replaced, removed and
// set again; listeners keep the EventTarget options (once, capture for
// removal, handleEvent objects, stopImmediatePropagation); errors and
// rejections of user code are reported, never thrown; user code can dispatch
// its own events. The socket is driven through its control, as a platform
// does, with a wire that records what is sent.

import assert from "node:assert/strict"
import { getEventListeners } from "node:events"
import { inspect } from "node:util"
import { afterEach, beforeEach, test } from "node:test"
import { createServerWebSocket, type ServerWebSocket, type SocketControl, type Wire } from "../../shared/websocket.js"

// Event phases, as the DOM numbers them.
const NONE = 0
const AT_TARGET = 2

interface CloseLike {
	readonly code: number
	readonly wasClean: boolean
}

const wire: Wire = { bufferedAmount: 0, send() {}, close() {} }

function openSocket(): { socket: ServerWebSocket; control: SocketControl } {
	const made = createServerWebSocket("ws://127.0.0.1/echo")
	made.control.open(wire, "", "")
	return made
}

let reported: unknown[][] = []
const consoleError = console.error
beforeEach(() => {
	reported = []
	console.error = (...args: unknown[]) => {
		reported.push(args)
	}
})
afterEach(() => {
	console.error = consoleError
})

test("the socket is an EventTarget and its handlers read back", () => {
	const { socket } = openSocket()
	assert.ok(socket instanceof EventTarget)
	assert.equal(socket.onmessage, null)
	const handler = () => {}
	socket.onmessage = handler
	assert.equal(socket.onmessage, handler)
	socket.onmessage = "not a function" as unknown as null
	assert.equal(socket.onmessage, null)
})

test("a handler keeps its place among the listeners when replaced, and goes last when set again", () => {
	const { socket, control } = openSocket()
	const order: string[] = []
	socket.addEventListener("message", () => order.push("first"))
	socket.onmessage = () => order.push("handler 1")
	socket.addEventListener("message", () => order.push("last"))
	control.message("a")
	socket.onmessage = () => order.push("handler 2")
	control.message("b")
	socket.onmessage = null
	control.message("c")
	socket.onmessage = () => order.push("handler 3")
	control.message("d")
	assert.deepEqual(order, [
		"first", "handler 1", "last",
		"first", "handler 2", "last",
		"first", "last",
		"first", "last", "handler 3",
	])
})

test("handlers of different sockets and types stay apart", () => {
	const a = openSocket()
	const b = openSocket()
	const seen: string[] = []
	a.socket.onmessage = (event) => seen.push(`a:${(event as MessageEvent).data}`)
	b.socket.onmessage = (event) => seen.push(`b:${(event as MessageEvent).data}`)
	a.socket.onclose = () => seen.push("a:close")
	a.control.message("1")
	b.control.message("2")
	a.socket.onmessage = null
	a.control.message("3")
	b.control.message("4")
	a.control.closed(1000, "")
	assert.deepEqual(seen, ["a:1", "b:2", "b:4", "a:close"])
})

test("handlers see the socket as this, target and currentTarget, at the target phase; listeners as this and target", () => {
	const { socket, control } = openSocket()
	const seen: unknown[] = []
	socket.onmessage = function (this: unknown, event: Event) {
		seen.push(this === socket, event.target === socket, event.currentTarget === socket, event.eventPhase, event.type)
	}
	socket.addEventListener("message", function (this: unknown, event: Event) {
		seen.push(this === socket, event.target === socket)
	})
	control.message("x")
	assert.deepEqual(seen, [true, true, true, AT_TARGET, "message", true, true])
})

test("once, capture for removal and handleEvent objects", () => {
	const { socket, control } = openSocket()
	const seen: string[] = []
	socket.addEventListener("message", () => seen.push("once"), { once: true })
	const captured = () => seen.push("captured")
	socket.addEventListener("message", captured, { capture: true })
	socket.removeEventListener("message", captured) // capture differs: stays
	const object = { handleEvent: (event: Event) => seen.push(`object:${(event as MessageEvent).data}`) }
	socket.addEventListener("message", object)
	socket.addEventListener("message", object) // added once only
	control.message("1")
	socket.removeEventListener("message", captured, { capture: true })
	control.message("2")
	socket.removeEventListener("message", object)
	control.message("3")
	assert.deepEqual(seen, ["once", "captured", "object:1", "object:2"])
})

test("a listener added with a signal is removed when the signal aborts", () => {
	const { socket, control } = openSocket()
	const seen: string[] = []
	const controller = new AbortController()
	socket.addEventListener("message", () => seen.push("with signal"), { signal: controller.signal })
	socket.addEventListener("message", () => seen.push("without"))
	control.message("a")
	controller.abort()
	control.message("b")
	assert.deepEqual(seen, ["with signal", "without", "without"])
	const late = new AbortController()
	late.abort()
	socket.addEventListener("message", () => seen.push("already aborted"), { signal: late.signal })
	control.message("c")
	assert.deepEqual(seen, ["with signal", "without", "without", "without"])
})

test("stopImmediatePropagation in a handler stops the listeners after it", () => {
	const { socket, control } = openSocket()
	const seen: string[] = []
	socket.addEventListener("message", () => seen.push("before"))
	socket.onmessage = (event) => {
		seen.push("handler")
		event.stopImmediatePropagation()
	}
	socket.addEventListener("message", () => seen.push("after"))
	control.message("x")
	assert.deepEqual(seen, ["before", "handler"])
})

test("a throwing or rejecting handler is reported and the others still run", async () => {
	const { socket, control } = openSocket()
	const seen: string[] = []
	socket.onmessage = () => {
		throw new Error("handler failed")
	}
	socket.addEventListener("message", () => seen.push("listener"))
	socket.onclose = async () => {
		throw new Error("close handler rejected")
	}
	control.message("x")
	control.closed(1000, "")
	await new Promise((resolve) => setImmediate(resolve))
	assert.deepEqual(seen, ["listener"])
	const messages = reported.map((args) => String(args[0]))
	assert.ok(messages.some((m) => m.includes('"message" event handler')), messages.join("\n"))
	assert.ok(messages.some((m) => m.includes('"close" event handler')), messages.join("\n"))
})

test("user code dispatches its own events to handlers and listeners", () => {
	const { socket } = openSocket()
	const seen: unknown[] = []
	socket.onopen = (event) => seen.push("handler", event.target === socket)
	socket.addEventListener("open", (event) => seen.push("listener", event.target === socket))
	const event = new Event("open", { cancelable: true })
	assert.equal(socket.dispatchEvent(event), true)
	assert.deepEqual(seen, ["handler", true, "listener", true])
	assert.equal(event.eventPhase, NONE)
})

test("the open, message, error and close handlers fire in order", () => {
	const made = createServerWebSocket("ws://127.0.0.1/echo")
	const { socket, control } = made
	const seen: string[] = []
	socket.onopen = () => seen.push("open")
	socket.onmessage = (event) => seen.push(`message:${(event as MessageEvent).data}`)
	socket.onerror = () => seen.push("error")
	socket.onclose = (event) => seen.push(`close:${(event as unknown as CloseLike).code}:${(event as unknown as CloseLike).wasClean}`)
	control.open(wire, "", "")
	control.message("hi")
	control.error(new Error("protocol error"))
	control.closed(1006, "")
	assert.deepEqual(seen, ["open", "message:hi", "error", "close:1006:false"])
})

// Every getter of Event and MessageEvent, read from an event; the socket reads as "socket".
function readEvent(event: Event, socket: ServerWebSocket): Record<string, unknown> {
	const out: Record<string, unknown> = {}
	for (const proto of [Event.prototype, MessageEvent.prototype]) {
		for (const key of Reflect.ownKeys(proto)) {
			if (typeof key !== "string") continue
			const descriptor = Object.getOwnPropertyDescriptor(proto, key)
			if (descriptor?.get === undefined) continue
			const value = (event as unknown as Record<string, unknown>)[key]
			out[key] = key === "timeStamp" ? typeof value : value === socket ? "socket" : value
		}
	}
	out.composedPath = event.composedPath().map((target) => (target === socket ? "socket" : target))
	out.string = Object.prototype.toString.call(event)
	out.isMessageEvent = event instanceof MessageEvent
	return out
}

test("a message event reads the same, during its handler and after, with or without listeners", () => {
	// With only a handler the socket calls it without the host's dispatch;
	// with a listener too, the host's EventTarget dispatches.
	const runs = [false, true].map((withListener) => {
		const { socket, control } = openSocket()
		let during: Record<string, unknown> | undefined
		let kept: Event | undefined
		socket.onmessage = (event) => {
			during = readEvent(event, socket)
			kept = event
		}
		if (withListener) socket.addEventListener("message", () => {})
		const dispatch = EventTarget.prototype.dispatchEvent
		let hostDispatches = 0
		EventTarget.prototype.dispatchEvent = function (this: EventTarget, event: Event) {
			hostDispatches++
			return dispatch.call(this, event)
		}
		try {
			control.message("hello")
		} finally {
			EventTarget.prototype.dispatchEvent = dispatch
		}
		assert.ok(kept !== undefined && during !== undefined)
		const known = new Set([...Reflect.ownKeys(Event.prototype), ...Reflect.ownKeys(MessageEvent.prototype)])
		const extra: string[] = []
		for (let proto = Object.getPrototypeOf(kept); proto !== null && proto !== MessageEvent.prototype; proto = Object.getPrototypeOf(proto)) {
			for (const key of Reflect.ownKeys(proto)) if (!known.has(key)) extra.push(String(key))
		}
		return { during, after: readEvent(kept, socket), hostDispatches, inspected: inspect(kept), extra }
	})
	const [direct, dispatched] = runs
	assert.equal(direct.hostDispatches, 0)
	assert.equal(dispatched.hostDispatches, 1)
	assert.deepEqual(direct.during, dispatched.during)
	assert.deepEqual(direct.after, dispatched.after)
	assert.equal(direct.during.data, "hello")
	assert.equal(direct.during.origin, "ws://127.0.0.1")
	assert.equal(direct.during.lastEventId, "")
	assert.equal(direct.during.source, null)
	assert.deepEqual(direct.during.ports, [])
	assert.equal(direct.during.currentTarget, "socket")
	assert.equal(direct.during.eventPhase, AT_TARGET)
	assert.equal(direct.after.currentTarget, null)
	assert.equal(direct.after.eventPhase, NONE)
	assert.equal(direct.after.string, Object.prototype.toString.call(new MessageEvent("message")))
	// No member of its own beyond what the host's events have.
	assert.deepEqual(direct.extra, [])
	assert.deepEqual(dispatched.extra, [])
	assert.match(direct.inspected, /MessageEvent/)
	assert.match(direct.inspected, /hello/)
})

test("a handler set before any listener runs before listeners added later, for messages and for dispatched events", () => {
	const { socket, control } = openSocket()
	const order: string[] = []
	socket.onmessage = (event) => order.push(`handler:${(event as MessageEvent).data}`)
	control.message("alone")
	socket.addEventListener("message", (event) => order.push(`listener:${(event as MessageEvent).data}`))
	control.message("both")
	socket.onclose = () => order.push("close handler")
	socket.dispatchEvent(new Event("close"))
	socket.addEventListener("close", () => order.push("close listener"))
	socket.dispatchEvent(new Event("close"))
	assert.deepEqual(order, [
		"handler:alone",
		"handler:both", "listener:both",
		"close handler",
		"close handler", "close listener",
	])
})

test("an open socket whose only listener is its onmessage handler keeps no listener entry in the host's EventTarget", () => {
	// Node's events.getEventListeners reads the host's listener lists.
	const { socket, control } = openSocket()
	const seen: unknown[] = []
	socket.onmessage = (event) => seen.push((event as MessageEvent).data)
	control.message("m")
	assert.deepEqual(seen, ["m"])
	assert.equal(getEventListeners(socket, "message").length, 0)
	socket.addEventListener("message", () => {})
	assert.equal(getEventListeners(socket, "message").length, 2, "handler and listener, once there is a listener")
	socket.onmessage = null
	assert.equal(getEventListeners(socket, "message").length, 1)
})

test("a message event without handler or listener is not made, and a handler set later gets the next", () => {
	const { socket, control } = openSocket()
	control.message("unheard")
	const seen: unknown[] = []
	socket.onmessage = (event) => seen.push((event as MessageEvent).data, event.timeStamp > 0)
	control.message("heard")
	assert.deepEqual(seen, ["heard", true])
})

test("open, error and close events are made only for a handler or a listener that hears them", () => {
	const dispatch = EventTarget.prototype.dispatchEvent
	const types: string[] = []
	EventTarget.prototype.dispatchEvent = function (this: EventTarget, event: Event) {
		types.push(event.type)
		return dispatch.call(this, event)
	}
	const seen: string[] = []
	try {
		const quiet = createServerWebSocket("ws://127.0.0.1/echo")
		quiet.control.open(wire, "", "")
		quiet.control.error(new Error("protocol error"))
		quiet.control.closed(1006, "")
		assert.deepEqual(types, [])
		const heard = createServerWebSocket("ws://127.0.0.1/echo")
		heard.socket.addEventListener("open", () => seen.push("open"))
		heard.socket.onclose = (event) => seen.push(`close:${(event as unknown as CloseLike).code}`)
		heard.control.open(wire, "", "")
		heard.control.error(new Error("protocol error"))
		heard.control.closed(1006, "")
		assert.deepEqual(types, ["open", "close"])
	} finally {
		EventTarget.prototype.dispatchEvent = dispatch
	}
	assert.deepEqual(seen, ["open", "close:1006"])
})

test("send() checks its argument and the state as a browser does, and sends in call order", async () => {
	const { socket, control } = createServerWebSocket("ws://127.0.0.1/echo")
	const sent: unknown[] = []
	const recording: Wire = { bufferedAmount: 0, send: (data) => sent.push(data), close() {} }
	// Before the handshake completes: InvalidStateError, nothing sent.
	assert.throws(() => socket.send("early"), (error: unknown) => error instanceof DOMException && error.name === "InvalidStateError")
	control.open(recording, "", "")
	assert.throws(
		() => (socket.send as (...args: unknown[]) => void)(),
		(error: unknown) => error instanceof TypeError && /1 argument required/.test(error.message),
	)
	// undefined is an argument: sent as its string, as browsers do.
	;(socket.send as (data: unknown) => void)(undefined)
	socket.send("text")
	socket.send(new Uint8Array([1, 2]))
	socket.send(new Blob(["blob"]))
	socket.send("after the blob")
	// The Blob is read first; the sends after it wait for it.
	for (const deadline = Date.now() + 5_000; sent.length < 5 && Date.now() < deadline; ) {
		await new Promise((resolve) => setTimeout(resolve, 5))
	}
	assert.deepEqual(
		sent.map((data) => (typeof data === "string" ? data : Array.from(data as Uint8Array))),
		["undefined", "text", [1, 2], Array.from(new TextEncoder().encode("blob")), "after the blob"],
	)
	// After close(): ignored, never thrown.
	socket.close()
	socket.send("late")
	assert.equal(sent.length, 5)
})
