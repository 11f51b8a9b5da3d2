// Health monitoring: a client that stops answering pings is terminated,
// clients that answer are kept.

import assert from "node:assert/strict"
import { after, before, test } from "node:test"
import WebSocket from "ws"
import { type ConnectionManager, getConnectionManager } from "../connection-manager.js"
import type { HealthCheckResult, ManagedConnection } from "../connection-types.js"
import { closeAll, closed, connect, echoRoute, nextEvent, startServer, type TestServer } from "./helpers.js"

let server: TestServer
let manager: ConnectionManager

before(async () => {
	server = await startServer(echoRoute())
	manager = getConnectionManager({
		handleSignals: false,
		enableHealthMonitoring: true,
		healthCheckInterval: 150,
		healthCheckTimeout: 500,
	})
})

after(async () => {
	await server.close()
})

test("a client that stops answering pings is terminated, one that answers stays", async () => {
	const addedGood = nextEvent<[ManagedConnection]>(manager, "connection:added")
	const good = await connect(server.url + "/live")
	const goodId = (await addedGood)[0].id
	const addedSilent = nextEvent<[ManagedConnection]>(manager, "connection:added")
	const silent = await connect(server.url + "/live", { autoPong: false })
	const silentId = (await addedSilent)[0].id
	try {
		const healthy = nextEvent<[string, HealthCheckResult]>(manager, "connection:health", (id, r) => id === goodId && r.healthy)
		const failed = nextEvent<[string, HealthCheckResult]>(manager, "connection:health", (id, r) => id === silentId && !r.healthy)
		const removed = nextEvent<[string, string]>(manager, "connection:removed", (id) => id === silentId)
		const [, result] = await failed
		assert.match(result.error ?? "", /No pong within 500 ms/)
		assert.equal((await removed)[1], "unhealthy")
		// Terminated: no closing handshake, the client sees 1006.
		const end = silent.readyState === WebSocket.CLOSED ? { code: 1006 } : await closed(silent)
		assert.equal(end.code, 1006)
		await healthy
		assert.equal(good.readyState, WebSocket.OPEN)
		assert.equal(manager.getManagedConnection(goodId)?.healthStatus, "healthy")
		assert.equal(manager.getStats().healthStats.unhealthy, 0)
	} finally {
		await closeAll([good, silent])
	}
})
