// The connection manager's records, tags, data, broadcast, criteria, health
// checks, idle cleanup and statistics, through the real upgrade path.

import assert from "node:assert/strict"
import { after, before, test } from "node:test"
import WebSocket from "ws"
import { type ConnectionManager, getConnectionId, getConnectionManager } from "../connection-manager.js"
import type { ManagedConnection } from "../connection-types.js"
import { WebSocketStats } from "../stats.js"
import {
	closeAll,
	closed,
	connect,
	echoRoute,
	nextEvent,
	nextMessage,
	startServer,
	STEP_MS,
	type TestServer,
	withTimeout,
} from "./helpers.js"

let server: TestServer
let manager: ConnectionManager

before(async () => {
	manager = getConnectionManager({ handleSignals: false })
	// Routes tag their connection from the query: ?tag=a&tag=b, and store ?user=.
	server = await startServer(
		echoRoute((socket, url) => {
			const id = getConnectionId(socket)
			assert.ok(id, "getConnectionId works right after upgradeWebSocket()")
			for (const tag of url.searchParams.getAll("tag")) manager.addConnectionTag(id, tag)
			const user = url.searchParams.get("user")
			if (user !== null) manager.setConnectionData(id, "user", user)
		}),
	)
})

after(async () => {
	await server.close()
})

/** Opens a client and waits until the manager has added it. */
async function open(path: string, options: WebSocket.ClientOptions = {}): Promise<Client> {
	const added = nextEvent<[ManagedConnection]>(manager, "connection:added", (c) => c.route === path.split("?")[0])
	const ws = await connect(server.url + path, options)
	const [connection] = await added
	return { ws, connection }
}

type Client = { ws: WebSocket; connection: ManagedConnection }

/** Closes clients and waits until the manager has removed each. */
async function closeAndForget(clients: Client[]): Promise<void> {
	const removed = new Promise<void>((resolve) => {
		const pending = new Set(clients.map((c) => c.connection.id).filter((id) => manager.getManagedConnection(id) !== undefined))
		if (pending.size === 0) return resolve()
		const listener = (id: string) => {
			pending.delete(id)
			if (pending.size === 0) {
				manager.off("connection:removed", listener)
				resolve()
			}
		}
		manager.on("connection:removed", listener)
	})
	await closeAll(clients.map((c) => c.ws))
	await withTimeout(removed, STEP_MS, "removal of the closed clients")
}

test("a connection is recorded from upgradeWebSocket() on, with its client, tags and data", async () => {
	const { ws, connection } = await open("/chat?tag=room:1&user=ada", { headers: { "User-Agent": "zastro-test/1" } })
	assert.equal(connection.ip, "127.0.0.1")
	assert.equal(connection.remoteAddress, "127.0.0.1")
	assert.equal(connection.userAgent, "zastro-test/1")
	assert.equal(connection.route, "/chat")
	assert.match(connection.url, /^ws:\/\/127\.0\.0\.1:\d+\/chat\?tag=room:1&user=ada$/)
	assert.equal(connection.state, "OPEN")
	assert.deepEqual([...connection.tags], ["room:1"])
	assert.equal(connection.data.user, "ada")
	assert.equal(manager.getConnectionData(connection.id, "user"), "ada")
	assert.ok(connection.createdAt <= Date.now() && connection.age >= 0)
	assert.equal(manager.getManagedConnection(connection.id), connection)
	assert.deepEqual(manager.getConnectionsByTag("room:1"), [connection])
	assert.deepEqual(manager.getConnectionsByRoute("/chat"), [connection])
	assert.ok(manager.removeConnectionTag(connection.id, "room:1"))
	assert.equal(manager.removeConnectionTag(connection.id, "room:1"), false)

	const removed = nextEvent<[string, string, ManagedConnection]>(manager, "connection:removed", (id) => id === connection.id)
	ws.close(1000, "done")
	const [, reason, gone] = await removed
	assert.equal(reason, "closed")
	assert.equal(gone.closeCode, 1000)
	assert.equal(gone.closeReason, "done")
	assert.equal(gone.state, "CLOSED")
	assert.equal(manager.getManagedConnection(connection.id), undefined)
	assert.equal(manager.addConnectionTag(connection.id, "late"), false)
	assert.equal(manager.setConnectionData("no-such-id", "k", 1), false)
})

test("statistics count connections, messages and payload bytes, per route", async () => {
	const before = WebSocketStats.getConnectionStats()
	const route = before.routes["/stats"] ?? { total: 0, messagesIn: 0, bytesIn: 0, messagesOut: 0, bytesOut: 0 }
	const client = await open("/stats")
	const { ws } = client
	const echoed = nextMessage(ws)
	ws.send("héllo") // 6 UTF-8 bytes
	assert.equal(await echoed, "héllo")
	const during = WebSocketStats.getConnectionStats()
	assert.equal(during.totalConnections, before.totalConnections + 1)
	assert.equal(WebSocketStats.getConnectionCount(), during.totalConnections)
	assert.equal(during.totalConnectionsEver, before.totalConnectionsEver + 1)
	assert.equal(during.messagesIn, before.messagesIn + 1)
	assert.equal(during.bytesIn, before.bytesIn + 6)
	assert.equal(during.messagesOut, before.messagesOut + 1)
	assert.equal(during.bytesOut, before.bytesOut + 6)
	assert.equal(during.routes["/stats"].active, 1)
	assert.equal(during.routes["/stats"].total, route.total + 1)
	assert.equal(during.routes["/stats"].bytesIn, route.bytesIn + 6)
	assert.equal(during.connectionsByState.OPEN, during.totalConnections)
	const summary = during.connections.find((c) => c.route === "/stats")
	assert.ok(summary)
	assert.equal(summary.messagesIn, 1)
	assert.equal(summary.bytesOut, 6)
	assert.equal(WebSocketStats.getActiveConnections().size, during.totalConnections)

	await closeAndForget([client])
	const after = WebSocketStats.getConnectionStats()
	assert.equal(after.totalConnections, before.totalConnections)
	assert.equal(after.totalConnectionsClosed, before.totalConnectionsClosed + 1)
	assert.equal(after.routes["/stats"].active, 0)
	assert.equal(manager.getStats().totalManagedConnections, after.totalConnections)
})

test("broadcast reaches every open socket, or exactly the tagged ones", async () => {
	const red1 = await open("/room?tag=red")
	const red2 = await open("/room?tag=red")
	const blue = await open("/room?tag=blue")
	const clients = [red1.ws, red2.ws, blue.ws]
	try {
		const redMessages = [nextMessage(red1.ws), nextMessage(red2.ws)]
		assert.equal(manager.broadcastToTag("red", "to red"), 2)
		assert.deepEqual(await Promise.all(redMessages), ["to red", "to red"])

		// Messages arrive in order: blue's next one is the broadcast to all, so it never got "to red".
		const all = clients.map((ws) => nextMessage(ws))
		assert.equal(manager.broadcast("to all"), manager.getAllManagedConnections().length)
		assert.deepEqual(await Promise.all(all), ["to all", "to all", "to all"])

		const others = [nextMessage(red2.ws), nextMessage(blue.ws)]
		assert.equal(manager.broadcast("not to red1", { except: red1.connection.id, route: "/room" }), 2)
		assert.deepEqual(await Promise.all(others), ["not to red1", "not to red1"])
		const last = [nextMessage(red1.ws), nextMessage(red2.ws)]
		assert.equal(manager.broadcast("red only", { tags: ["red"], except: blue.connection.socket }), 2)
		assert.deepEqual(await Promise.all(last), ["red only", "red only"])
	} finally {
		await closeAndForget([red1, red2, blue])
	}
})

test("closeConnections closes what matches every condition and returns the count", async () => {
	const a = await open("/criteria?tag=temporary")
	const b = await open("/criteria?tag=temporary&tag=vip")
	const c = await open("/criteria?tag=keep")
	try {
		assert.equal(manager.closeConnections({ idleMoreThan: 60_000 }), 0)
		assert.equal(manager.closeConnections({ tags: ["temporary"], route: "/elsewhere" }), 0)
		const closes = [closed(a.ws), closed(b.ws)]
		assert.equal(manager.closeConnections({ tags: ["temporary"] }, 4000, "bye"), 2)
		assert.deepEqual(await Promise.all(closes), [
			{ code: 4000, reason: "bye" },
			{ code: 4000, reason: "bye" },
		])
		assert.equal(c.ws.readyState, WebSocket.OPEN)
		assert.throws(() => manager.closeConnections({}, 1005), RangeError)
		const last = closed(c.ws)
		assert.ok(manager.closeConnection(c.connection.id, 1001, "going"))
		assert.deepEqual(await last, { code: 1001, reason: "going" })
	} finally {
		await closeAndForget([a, b, c])
	}
})

test("performHealthCheck reports a pong, and a client that does not answer pings", async () => {
	const good = await open("/health")
	const silent = await open("/health", { autoPong: false })
	try {
		const event = nextEvent<[string, { healthy: boolean }]>(manager, "connection:health", (id) => id === good.connection.id)
		const ok = await manager.performHealthCheck(good.connection.id)
		assert.equal(ok.healthy, true)
		assert.equal(typeof ok.latency, "number")
		assert.equal((await event)[1].healthy, true)
		assert.equal(good.connection.healthStatus, "healthy")

		const bad = await manager.performHealthCheck(silent.connection.id, 200)
		assert.equal(bad.healthy, false)
		assert.match(bad.error ?? "", /No pong within 200 ms/)
		assert.equal(silent.connection.healthStatus, "unhealthy")
		// A manual check reports; it does not close.
		assert.equal(silent.ws.readyState, WebSocket.OPEN)
		assert.equal(manager.closeConnections({ unhealthy: true }), 1)

		const unknown = await manager.performHealthCheck("no-such-id")
		assert.equal(unknown.healthy, false)
		const all = await manager.healthCheck(1000)
		assert.equal(all[good.connection.id]?.healthy, true)
	} finally {
		await closeAndForget([good, silent])
	}
})

test("lastActivity is the time of the last message either way", async () => {
	const client = await open("/activity")
	const { ws, connection } = client
	const pause = () => new Promise((resolve) => setTimeout(resolve, 30))
	try {
		assert.equal(connection.lastActivity, connection.createdAt)
		// The route echoes text; a binary message is answered from a listener added here.
		connection.socket.addEventListener("message", (event) => {
			if (typeof event.data !== "string") connection.socket.send("binary")
		})
		for (const binary of [false, true]) {
			// A message and the answer sent from its handler.
			await pause()
			const sentAt = Date.now()
			ws.send(binary ? Buffer.from("ping") : "ping")
			await nextMessage(ws)
			const echoedAt = connection.lastActivity
			assert.ok(echoedAt >= sentAt && echoedAt <= Date.now(), `echo noted at ${echoedAt}, sent at ${sentAt}`)
			// A send from outside any handler, later, notes its own time.
			await pause()
			const pushedAt = Date.now()
			connection.socket.send("push")
			await nextMessage(ws)
			assert.ok(connection.lastActivity >= pushedAt, `push noted at ${connection.lastActivity}, sent at ${pushedAt}`)
		}
		assert.equal(connection.messagesIn, 2)
		assert.equal(connection.messagesOut, 4)
	} finally {
		await closeAndForget([client])
	}
})

test("idle connections are closed with 1001, active ones are kept", async () => {
	getConnectionManager({ idleTimeout: 300 })
	const idle = await open("/idle")
	const busy = await open("/idle")
	const keepBusy = setInterval(() => busy.ws.send("tick"), 50)
	busy.ws.on("message", () => {})
	// Routes may call getConnectionManager() on every request: that must not hold the sweep back.
	const churn = setInterval(() => getConnectionManager(), 20)
	try {
		const removed = nextEvent<[string, string]>(manager, "connection:removed", (id) => id === idle.connection.id)
		const cleanup = nextEvent<[number]>(manager, "cleanup:completed")
		assert.deepEqual(await closed(idle.ws), { code: 1001, reason: "Idle timeout" })
		assert.equal((await removed)[1], "idle")
		assert.ok((await cleanup)[0] >= 1)
		assert.equal(busy.ws.readyState, WebSocket.OPEN)
	} finally {
		clearInterval(keepBusy)
		clearInterval(churn)
		manager.updateConfig({ idleTimeout: 0 })
		await closeAndForget([idle, busy])
	}
})

test("customCleanupPolicy closes the connections it selects", async () => {
	manager.updateConfig({ cleanupInterval: 100, customCleanupPolicy: (c) => c.tags.has("temporary") && c.age >= 0 })
	const temporary = await open("/policy?tag=temporary")
	const kept = await open("/policy")
	try {
		assert.deepEqual(await closed(temporary.ws), { code: 1000, reason: "Cleanup policy" })
		assert.equal(kept.ws.readyState, WebSocket.OPEN)
	} finally {
		manager.updateConfig({ cleanupInterval: null, customCleanupPolicy: null })
		await closeAndForget([temporary, kept])
	}
})

test("a throwing listener neither breaks the connection nor the other listeners", async () => {
	const thrower = () => {
		throw new Error("listener bug (expected in this test)")
	}
	let seen = 0
	const counter = () => {
		seen++
	}
	manager.on("connection:added", thrower)
	manager.on("connection:added", counter)
	try {
		const client = await open("/throwing")
		const echoed = nextMessage(client.ws)
		client.ws.send("still works")
		assert.equal(await echoed, "still works")
		assert.equal(seen, 1)
		await closeAndForget([client])
	} finally {
		manager.off("connection:added", thrower)
		manager.off("connection:added", counter)
	}
})

test("options are validated, unknown ones are ignored", () => {
	assert.throws(() => getConnectionManager({ maxConnections: -1 }), /maxConnections.*whole number >= 1/)
	assert.throws(() => getConnectionManager({ idleTimeout: Number.NaN }), /idleTimeout/)
	assert.throws(() => getConnectionManager({ healthCheckInterval: Infinity }), /healthCheckInterval/)
	assert.throws(() => manager.updateConfig({ enableHealthMonitoring: "yes" as unknown as boolean }), /true or false/)
	manager.updateConfig({ upgradeTimeout: 5 } as Record<string, unknown>)
	assert.equal(manager.getConfig().maxConnections, Infinity)
	assert.equal(manager.getConfig().idleTimeout, 0)
	assert.equal(manager.active, true)
	void STEP_MS
})
