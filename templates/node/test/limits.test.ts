// Limits are enforced when the handshake arrives, before any route runs:
// 503 for a full pool, 429 with Retry-After for the rate limit. Clients pick
// their address through X-Forwarded-For (trustProxy) so that tests do not
// share a budget.

import assert from "node:assert/strict"
import { after, before, test } from "node:test"
import type WebSocket from "ws"
import { type ConnectionManager, getConnectionManager } from "../connection-manager.js"
import { createUpgradeHandler } from "../upgrade.js"
import type { ManagedConnection, RejectedConnection } from "../connection-types.js"
import { closeAll, connect, echoRoute, nextEvent, refused, startServer, STEP_MS, type TestServer, withTimeout } from "./helpers.js"

let server: TestServer
let middleware: TestServer
let manager: ConnectionManager
let routeRuns = 0

before(async () => {
	manager = getConnectionManager({ handleSignals: false, trustProxy: true })
	const echo = echoRoute()
	const route: Parameters<typeof startServer>[0] = (context) => {
		routeRuns++
		if (context.url.searchParams.has("deny")) return new Response("no", { status: 401 })
		return echo(context)
	}
	server = await startServer(route)
	middleware = await startServer(route, {}, "middleware")
})

after(async () => {
	await Promise.all([server.close(), middleware.close()])
})

function from(ip: string): WebSocket.ClientOptions {
	return { headers: { "X-Forwarded-For": ip } }
}

/** Closes clients and waits until the manager has none left. */
async function closeEverything(clients: WebSocket[]): Promise<void> {
	const open = manager.getAllManagedConnections().length
	const gone = new Promise<void>((resolve) => {
		let left = open
		if (left === 0) return resolve()
		const listener = () => {
			if (--left === 0) {
				manager.off("connection:removed", listener)
				resolve()
			}
		}
		manager.on("connection:removed", listener)
	})
	await closeAll(clients)
	manager.closeConnections({})
	await withTimeout(gone, STEP_MS, "every connection removed")
	assert.equal(manager.getStats().pendingConnections, 0)
}

test("maxConnections: the next handshake gets 503 before the route runs, a freed slot is reused", async () => {
	manager.updateConfig({ maxConnections: 2 })
	const clients: WebSocket[] = []
	try {
		clients.push(await connect(server.url + "/pool", from("10.1.0.1")))
		clients.push(await connect(server.url + "/pool", from("10.1.0.2")))
		const runs = routeRuns
		const full = nextEvent<[RejectedConnection]>(manager, "pool:full")
		const answer = await refused(server.url + "/pool", from("10.1.0.3"))
		assert.equal(answer.status, 503)
		assert.equal(answer.headers["retry-after"], undefined)
		assert.match(answer.body, /Too many WebSocket connections/)
		assert.equal(routeRuns, runs, "the route did not run")
		const [rejected] = await full
		assert.deepEqual({ ...rejected }, {
			ip: "10.1.0.3",
			userAgent: "",
			route: "/pool",
			reason: "maxConnections",
			status: 503,
			retryAfter: undefined,
		})
		assert.equal(manager.getStats().rejected.maxConnections, 1)
		assert.equal(manager.getStats().poolStats.utilization, 1)
		assert.equal(manager.canAcceptConnection("10.1.0.9").allowed, false)

		const removed = nextEvent<[string]>(manager, "connection:removed")
		const first = clients.shift()
		first?.close()
		await removed
		clients.push(await connect(server.url + "/pool", from("10.1.0.3")))
	} finally {
		manager.updateConfig({ maxConnections: null })
		await closeEverything(clients)
	}
})

test("maxConnections holds under concurrent handshakes", async () => {
	manager.updateConfig({ maxConnections: 3 })
	const attempts = await Promise.allSettled(
		Array.from({ length: 10 }, (_, i) => connect(server.url + "/burst", from(`10.2.0.${i}`))),
	)
	const opened = attempts.flatMap((a) => (a.status === "fulfilled" ? [a.value] : []))
	try {
		assert.equal(opened.length, 3)
		for (const attempt of attempts) {
			if (attempt.status === "rejected") assert.equal((attempt.reason as { status?: number }).status, 503)
		}
		assert.equal(manager.getStats().totalManagedConnections, 3)
	} finally {
		manager.updateConfig({ maxConnections: null })
		await closeEverything(opened)
	}
})

test("maxConnectionsPerIP: 503 for that address only; X-Forwarded-For counts its last entry", async () => {
	manager.updateConfig({ maxConnectionsPerIP: 2 })
	const clients: WebSocket[] = []
	try {
		clients.push(await connect(server.url + "/ip", from("10.3.0.1")))
		clients.push(await connect(server.url + "/ip", from("192.0.2.1, 10.3.0.1")))
		const full = nextEvent<[RejectedConnection]>(manager, "pool:full")
		assert.equal((await refused(server.url + "/ip", from("10.3.0.1"))).status, 503)
		assert.equal((await full)[0].reason, "maxConnectionsPerIP")
		// A spoofed first hop does not help: the proxy's (last) entry counts.
		assert.equal((await refused(server.url + "/ip", from("10.9.9.9, 10.3.0.1"))).status, 503)
		clients.push(await connect(server.url + "/ip", from("10.3.0.2")))
		assert.equal(manager.getStats().connectionsByIP["10.3.0.1"], 2)
		assert.equal(manager.getConnectionsByIP("10.3.0.2").length, 1)
	} finally {
		manager.updateConfig({ maxConnectionsPerIP: null })
		await closeEverything(clients)
	}
})

test("rateLimitMaxConnections: 429 with Retry-After, per address, until the window moves on", async () => {
	manager.updateConfig({ rateLimitMaxConnections: 3, rateLimitWindow: 60_000 })
	const clients: WebSocket[] = []
	try {
		for (let i = 0; i < 3; i++) {
			const ws = await connect(server.url + "/rate", from("10.4.0.1"))
			clients.push(ws)
			ws.close() // closing gives nothing back: the limit counts new connections
		}
		const runs = routeRuns
		const exceeded = nextEvent<[string, number, RejectedConnection]>(manager, "ratelimit:exceeded")
		const answer = await refused(server.url + "/rate", from("10.4.0.1"))
		assert.equal(answer.status, 429)
		const retryAfter = Number(answer.headers["retry-after"])
		assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${answer.headers["retry-after"]}`)
		assert.equal(routeRuns, runs, "the route did not run")
		const [ip, attempts, rejected] = await exceeded
		assert.equal(ip, "10.4.0.1")
		assert.equal(attempts, 4)
		assert.equal(rejected.retryAfter, retryAfter)
		assert.equal(manager.canAcceptConnection("10.4.0.1").status, 429)
		assert.ok(manager.getStats().rateLimitBuckets >= 1)
		clients.push(await connect(server.url + "/rate", from("10.4.0.2")))

		// A short window frees the address again.
		manager.updateConfig({ rateLimitWindow: 200 })
		const deadline = Date.now() + STEP_MS
		while (!manager.canAcceptConnection("10.4.0.1").allowed) {
			assert.ok(Date.now() < deadline, "the rate limit did not expire")
			await new Promise((resolve) => setTimeout(resolve, 20)) // poll interval
		}
		clients.push(await connect(server.url + "/rate", from("10.4.0.1")))

		manager.updateConfig({ enableRateLimit: false, rateLimitWindow: 60_000 })
		for (let i = 0; i < 4; i++) clients.push(await connect(server.url + "/rate", from("10.4.0.3")))
	} finally {
		manager.updateConfig({ rateLimitMaxConnections: null, rateLimitWindow: null, enableRateLimit: null })
		await closeEverything(clients)
	}
})

test("a handshake the route refuses, or that middleware mode hands to next(), frees its slot", async () => {
	manager.updateConfig({ maxConnections: 1 })
	const clients: WebSocket[] = []
	try {
		assert.equal((await refused(server.url + "/deny?deny", from("10.5.0.1"))).status, 401)
		assert.equal((await refused(middleware.url + "/next", from("10.5.0.1"))).status, 404)
		assert.equal(manager.getStats().pendingConnections, 0)
		const added = nextEvent<[ManagedConnection]>(manager, "connection:added")
		clients.push(await connect(middleware.url + "/mw", from("10.5.0.1")))
		assert.equal((await added)[0].route, "/mw")
		assert.equal((await refused(server.url + "/full", from("10.5.0.2"))).status, 503)
	} finally {
		manager.updateConfig({ maxConnections: null })
		await closeEverything(clients)
	}
})

test("the adapter's websocket.connections option merges its limits into the manager at server start", async () => {
	const extra = await startServer(echoRoute(), { websocket: { connections: { maxConnectionsPerIP: 1 } } })
	const clients: WebSocket[] = []
	try {
		assert.equal(manager.getConfig().maxConnectionsPerIP, 1)
		clients.push(await connect(extra.url + "/adapter", from("10.6.0.1")))
		assert.equal((await refused(extra.url + "/adapter", from("10.6.0.1"))).status, 503)
		assert.throws(
			() => createUpgradeHandler(() => {}, { websocket: { connections: { idleTimeout: -5 } } }),
			/the adapter's websocket.connections option: idleTimeout must be/,
		)
	} finally {
		manager.updateConfig({ maxConnectionsPerIP: null })
		await closeEverything(clients)
		await extra.close()
	}
})
