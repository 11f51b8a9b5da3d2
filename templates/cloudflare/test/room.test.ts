// Unit tests of the room logic (room.ts) and of the handshake's hand-over to
// a room (handshake.ts forward/settle), under `node --test`. workerd is not
// here: its WebSocket, WebSocketPair, Durable Object state and 101 Responses
// are stand-ins that record what the room does. The real thing is proven by
// the e2e rooms suite under wrangler dev.
import assert from "node:assert/strict"
import { afterEach, beforeEach, describe, test } from "node:test"
import { Handshake, UPGRADE_TOKEN_HEADER } from "../handshake.js"
import { type HibernatableWebSocket, ROOM_HEADER, type RoomState, toRoom, WebSocketRoom } from "../room.js"

class FakeSocket implements HibernatableWebSocket {
	readyState = 1
	sent: (string | Uint8Array)[] = []
	closes: { code?: number; reason?: string }[] = []
	attachment: unknown
	accepted = false
	accept(): void {
		this.accepted = true
	}
	send(data: string | ArrayBuffer | ArrayBufferView): void {
		if (this.readyState !== 1) throw new Error("send on a closed socket")
		this.sent.push(typeof data === "string" ? data : new Uint8Array(data as ArrayBuffer))
	}
	close(code?: number, reason?: string): void {
		if (this.readyState >= 2) throw new Error("already closing")
		this.readyState = 2
		this.closes.push(code === undefined ? {} : { code, reason })
	}
	serializeAttachment(value: unknown): void {
		// workerd stores a structured clone, limited to 2 KiB.
		const copy = structuredClone(value)
		if (JSON.stringify(copy).length > 2048) throw new Error("attachment too large")
		this.attachment = copy
	}
	deserializeAttachment(): unknown {
		return structuredClone(this.attachment)
	}
}

class FakeState implements RoomState {
	sockets: { ws: FakeSocket; tags: string[] }[] = []
	acceptWebSocket(ws: HibernatableWebSocket, tags: string[] = []): void {
		if (tags.length > 10) throw new Error("too many tags")
		this.sockets.push({ ws: ws as FakeSocket, tags })
	}
	getWebSockets(tag?: string): HibernatableWebSocket[] {
		return this.sockets.filter((s) => tag === undefined || s.tags.includes(tag)).map((s) => s.ws)
	}
	getTags(ws: HibernatableWebSocket): string[] {
		return this.sockets.find((s) => s.ws === ws)?.tags ?? []
	}
}

// workerd's Response accepts status 101 with a webSocket; Node's does not.
const NodeResponse = globalThis.Response
class WorkerResponse extends NodeResponse {
	readonly webSocket: unknown
	constructor(body?: ConstructorParameters<typeof Response>[0], init?: ResponseInit & { webSocket?: unknown }) {
		const status = init?.status ?? 200
		super(body, { ...init, status: status === 101 ? 200 : status })
		Object.defineProperty(this, "status", { value: status })
		this.webSocket = init?.webSocket ?? null
	}
}

beforeEach(() => {
	;(globalThis as Record<string, unknown>).WebSocketPair = class {
		0 = new FakeSocket()
		1 = new FakeSocket()
	}
	globalThis.Response = WorkerResponse as typeof Response
})
afterEach(() => {
	globalThis.Response = NodeResponse
})

function upgradeRequest(url: string, join?: object, protocols?: string): Request {
	const headers = new Headers({ upgrade: "websocket", connection: "Upgrade" })
	if (join) headers.set(ROOM_HEADER, JSON.stringify(join))
	if (protocols) headers.set("sec-websocket-protocol", protocols)
	return new Request(url, { headers })
}

type Member = { name: string }

/** Waits (bounded) until a condition holds, checking after each turn of the event loop. */
async function until(condition: () => boolean, what: string, ms = 2000): Promise<void> {
	const deadline = Date.now() + ms
	while (!condition()) {
		if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
		await new Promise((resolve) => setImmediate(resolve))
	}
}

class Recorder extends WebSocketRoom<{ GREETING: string }, Member> {
	events: string[] = []
	override onOpen(socket: import("../room.js").RoomSocket<Member>): void {
		this.events.push(`open:${socket.data.name}`)
	}
	override onMessage(socket: import("../room.js").RoomSocket<Member>, message: string | ArrayBuffer | Blob): void {
		if (message === "throw") throw new Error("on purpose")
		const kind = typeof message === "string" ? "string" : message instanceof ArrayBuffer ? "arraybuffer" : "blob"
		this.events.push(`message:${socket.data.name}:${kind}`)
	}
	override onClose(socket: import("../room.js").RoomSocket<Member>, event: { code: number; reason: string; wasClean: boolean }): void {
		this.events.push(`close:${socket.data.name}:${event.code}:${event.reason}:${event.wasClean}`)
	}
}

async function join(room: WebSocketRoom<any, any>, name: string, tags: string[] = [], protocol?: string) {
	const response = await room.fetch(upgradeRequest("https://example.test/api/room?x=1", { tags, data: { name }, protocol }))
	await Promise.resolve() // onOpen runs in a microtask
	const state = room.ctx as FakeState
	return { response, ws: state.sockets[state.sockets.length - 1].ws }
}

describe("WebSocketRoom", () => {
	test("accepts an upgrade with the Hibernation API: 101, tags, data, subprotocol, url", async () => {
		const state = new FakeState()
		const room = new Recorder(state, { GREETING: "hi" })
		const { response, ws } = await join(room, "ada", ["readers"], "chat.v2")
		assert.equal(response.status, 101)
		assert.ok((response as WorkerResponse).webSocket instanceof FakeSocket)
		assert.equal(response.headers.get("sec-websocket-protocol"), "chat.v2")
		assert.deepEqual(state.sockets[0].tags, ["readers"])
		const [socket] = room.sockets()
		assert.equal(socket.raw, ws)
		assert.equal(socket.data.name, "ada")
		assert.equal(socket.protocol, "chat.v2")
		assert.equal(socket.url, "wss://example.test/api/room?x=1")
		assert.deepEqual(socket.tags, ["readers"])
		assert.equal(socket.binaryType, "blob")
		assert.deepEqual(room.events, ["open:ada"])
	})

	test("answers other requests with onRequest (426 by default)", async () => {
		const room = new Recorder(new FakeState(), { GREETING: "hi" })
		const response = await room.fetch(new Request("https://example.test/"))
		assert.equal(response.status, 426)
	})

	test("a failed accept (too many tags) is a 500 that says why, not a crash", async () => {
		const room = new Recorder(new FakeState(), { GREETING: "hi" })
		const tags = Array.from({ length: 11 }, (_, i) => `t${i}`)
		const response = await room.fetch(upgradeRequest("https://example.test/", { tags, data: { name: "x" } }))
		assert.equal(response.status, 500)
		assert.match(await response.text(), /too many tags/)
	})

	test("broadcast reaches the room, a tag, and skips except and closed sockets", async () => {
		const room = new Recorder(new FakeState(), { GREETING: "hi" })
		const a = await join(room, "ada", ["admins"])
		const b = await join(room, "bob")
		const c = await join(room, "cyd", ["admins"])
		assert.equal(room.broadcast("all"), 3)
		assert.equal(room.broadcast("admins", { tag: "admins" }), 2)
		const [sa] = room.sockets("admins")
		assert.equal(room.broadcast("not ada", { except: sa }), 2)
		c.ws.readyState = 3
		assert.equal(room.broadcast("open only"), 2)
		assert.deepEqual(a.ws.sent, ["all", "admins", "open only"])
		assert.deepEqual(b.ws.sent, ["all", "not ada", "open only"])
		assert.deepEqual(c.ws.sent, ["all", "admins", "not ada"])
	})

	test("binary messages follow binaryType, which survives hibernation", async () => {
		const state = new FakeState()
		const room = new Recorder(state, { GREETING: "hi" })
		const { ws } = await join(room, "ada")
		await room.webSocketMessage(ws, new Uint8Array([1, 2]).buffer)
		room.sockets()[0].binaryType = "arraybuffer"
		room.sockets()[0].binaryType = "nonsense" as "blob" // ignored, as in browsers
		// The object hibernates: a new instance, the same workerd socket.
		const woken = new Recorder(state, { GREETING: "hi" })
		const rewrapped = Object.assign(Object.create(Object.getPrototypeOf(ws)), ws) as FakeSocket
		state.sockets[0].ws = rewrapped
		await woken.webSocketMessage(rewrapped, new Uint8Array([3]).buffer)
		await woken.webSocketMessage(rewrapped, "text")
		assert.deepEqual(room.events.slice(1), ["message:ada:blob"])
		assert.deepEqual(woken.events, ["message:ada:arraybuffer", "message:ada:string"])
		assert.equal(woken.sockets()[0].binaryType, "arraybuffer")
		assert.equal(woken.sockets()[0].data.name, "ada")
	})

	test("socket.data assignments are kept with the socket", async () => {
		const state = new FakeState()
		const room = new Recorder(state, { GREETING: "hi" })
		const { ws } = await join(room, "ada")
		room.sockets()[0].data = { name: "ada lovelace" }
		const woken = new Recorder(state, { GREETING: "hi" })
		const copy = Object.assign(Object.create(Object.getPrototypeOf(ws)), ws) as FakeSocket
		state.sockets[0].ws = copy
		assert.equal(woken.sockets()[0].data.name, "ada lovelace")
	})

	test("a client's close is answered with the same code, then onClose", async () => {
		const room = new Recorder(new FakeState(), { GREETING: "hi" })
		const { ws } = await join(room, "ada")
		await room.webSocketClose(ws, 4005, "gone", true)
		assert.deepEqual(ws.closes, [{ code: 4005, reason: "gone" }])
		const other = await join(room, "bob")
		await room.webSocketClose(other.ws, 1005, "", true)
		assert.deepEqual(other.ws.closes, [{}], "1005 cannot be sent: a close frame without status")
		assert.deepEqual(room.events.filter((e) => e.startsWith("close")), ["close:ada:4005:gone:true", "close:bob:1005::true"])
	})

	test("close() validates like a browser and sends once", async () => {
		const room = new Recorder(new FakeState(), { GREETING: "hi" })
		const { ws } = await join(room, "ada")
		const [socket] = room.sockets()
		assert.throws(() => socket.close(1001), { name: "InvalidAccessError" })
		assert.throws(() => socket.close(4000, "x".repeat(124)), { name: "SyntaxError" })
		socket.close(4002, "bye")
		socket.close(4003, "again")
		assert.deepEqual(ws.closes, [{ code: 4002, reason: "bye" }])
		socket.send("dropped after close")
		assert.deepEqual(ws.sent, [])
	})

	test("send keeps call order with Blobs, and close waits for them", async () => {
		const room = new Recorder(new FakeState(), { GREETING: "hi" })
		const { ws } = await join(room, "ada")
		const [socket] = room.sockets()
		socket.send("one")
		socket.send(new Blob([new Uint8Array([2])]))
		socket.send("three")
		socket.send(new Uint16Array([0x0404]))
		socket.close(1000, "done")
		assert.deepEqual(ws.sent, ["one"])
		await until(() => ws.closes.length > 0, "the close after the queued sends")
		assert.deepEqual(ws.sent, ["one", new Uint8Array([2]), "three", new Uint8Array([4, 4])])
		assert.deepEqual(ws.closes, [{ code: 1000, reason: "done" }])
	})

	test("an exception in a hook is logged and the room goes on", async () => {
		const room = new Recorder(new FakeState(), { GREETING: "hi" })
		const { ws } = await join(room, "ada")
		const logged: unknown[][] = []
		const original = console.error
		console.error = (...args: unknown[]) => void logged.push(args)
		try {
			await room.webSocketMessage(ws, "throw")
		} finally {
			console.error = original
		}
		assert.match(String(logged[0]?.[0]), /\[zastro-websockets\].*"message"/)
		await room.webSocketMessage(ws, "after")
		assert.deepEqual(room.events.at(-1), "message:ada:string")
	})
})

describe("toRoom and the handshake", () => {
	function context(request: Request) {
		const handshake = new Handshake(request, ["chat.v1", "room.v1"])
		const locals = { isUpgradeRequest: true, [Symbol.for("zastro.cloudflare.forward")]: (r: Response) => handshake.forward(r) }
		return { handshake, ctx: { request, locals } }
	}

	test("forwards tags, data and the subprotocol; the handler answers with the room's 101 and the route's cookies", async () => {
		const request = upgradeRequest("https://example.test/api/room", undefined, "chat.v1, room.v1")
		request.headers.set(ROOM_HEADER, '{"tags":["forged"]}') // a client's own header never reaches the room
		const { handshake, ctx } = context(request)
		const room = new Recorder(new FakeState(), { GREETING: "hi" })
		let seen: Request | undefined
		const accepting = await toRoom(ctx, { fetch: (r) => ((seen = r), room.fetch(r)) }, { tags: ["a"], data: { name: "ada" }, protocol: "room.v1" })
		assert.equal(accepting.status, 200)
		assert.equal(accepting.headers.get(UPGRADE_TOKEN_HEADER), handshake.token)
		assert.deepEqual(JSON.parse(seen!.headers.get(ROOM_HEADER)!), { tags: ["a"], data: { name: "ada" }, protocol: "room.v1" })
		// Astro rebuilds the Response and adds a cookie.
		const rebuilt = new NodeResponse(null, { headers: accepting.headers })
		rebuilt.headers.append("set-cookie", "a=1")
		rebuilt.headers.append("set-cookie", "b=2")
		const final = handshake.settle(rebuilt) as WorkerResponse
		assert.equal(final.status, 101)
		assert.ok(final.webSocket instanceof FakeSocket)
		assert.equal(final.headers.get(UPGRADE_TOKEN_HEADER), null)
		assert.equal(final.headers.get("sec-websocket-protocol"), "room.v1")
		assert.deepEqual(final.headers.getSetCookie(), ["a=1", "b=2"])
	})

	test("a room's refusal is returned as it is", async () => {
		const { ctx } = context(upgradeRequest("https://example.test/api/room"))
		const refusal = await toRoom(ctx, { fetch: async () => new NodeResponse("full", { status: 403 }) })
		assert.equal(refusal.status, 403)
		assert.equal(await refusal.text(), "full")
	})

	test("a route that returns another Response rejects the upgrade and the room's socket is closed", async () => {
		const { handshake, ctx } = context(upgradeRequest("https://example.test/api/room"))
		const room = new Recorder(new FakeState(), { GREETING: "hi" })
		let upgraded: WorkerResponse | undefined
		const stub = { fetch: async (r: Request) => (upgraded = (await room.fetch(r)) as WorkerResponse) }
		const accepting = await toRoom(ctx, stub, { data: { name: "ada" } })
		assert.equal(accepting.status, 200)
		const final = await handshake.settle(new NodeResponse("no", { status: 403 }))
		assert.equal(final.status, 403)
		assert.equal(await final.text(), "no")
		const client = upgraded?.webSocket as FakeSocket
		assert.equal(client.accepted, true)
		assert.deepEqual(client.closes, [{ code: 1011, reason: "The route did not return the upgrade it handed to the room." }])
	})

	test("a handler that throws after toRoom closes the room's socket", async () => {
		const { handshake, ctx } = context(upgradeRequest("https://example.test/api/room"))
		const room = new Recorder(new FakeState(), { GREETING: "hi" })
		let upgraded: WorkerResponse | undefined
		await toRoom(ctx, { fetch: async (r: Request) => (upgraded = (await room.fetch(r)) as WorkerResponse) }, { data: { name: "ada" } })
		handshake.fail()
		assert.equal((upgraded?.webSocket as FakeSocket).closes.length, 1)
	})

	test("toRoom after upgradeWebSocket (or twice) throws, and off-upgrade requests throw with advice", async () => {
		const { handshake, ctx } = context(upgradeRequest("https://example.test/api/room"))
		handshake.upgradeWebSocket()
		const room = new Recorder(new FakeState(), { GREETING: "hi" })
		await assert.rejects(toRoom(ctx, room, { data: { name: "x" } }), /already called/)
		const plain = { request: new Request("https://example.test/"), locals: { isUpgradeRequest: false } }
		await assert.rejects(toRoom(plain, room), /not a WebSocket upgrade request/)
		const nodeDev = { request: upgradeRequest("https://example.test/"), locals: { isUpgradeRequest: true } }
		await assert.rejects(toRoom(nodeDev, room), /needs the route to run in workerd/)
		const second = context(upgradeRequest("https://example.test/api/room", undefined, "chat.v1"))
		await assert.rejects(toRoom(second.ctx, room, { protocol: "nope" }), /did not offer/)
	})
})
