// shutdown(): every connection gets 1001, the manager waits up to the
// timeout, terminates whoever did not finish the closing handshake, and
// refuses new handshakes from then on.

import assert from "node:assert/strict"
import { randomBytes } from "node:crypto"
import { once } from "node:events"
import net from "node:net"
import { after, before, test } from "node:test"
import type WebSocket from "ws"
import { ConnectionManagerAPI, getConnectionManager } from "../connection-manager.js"
import type { ManagedConnection } from "../connection-types.js"
import { WebSocketStats } from "../stats.js"
import { closed, connect, echoRoute, nextEvent, refused, startServer, STEP_MS, type TestServer, withTimeout } from "./helpers.js"

let server: TestServer

before(async () => {
	server = await startServer(echoRoute())
})

after(async () => {
	await server.close()
})

/** A client that completes the handshake, then ignores every frame (never answers the close). */
async function deafClient(url: string): Promise<net.Socket> {
	const { hostname, port } = new URL(url)
	const socket = net.connect(Number(port), hostname)
	await withTimeout(once(socket, "connect"), STEP_MS, "raw connect")
	socket.write(
		"GET /deaf HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			`Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
	)
	let head = ""
	await withTimeout(
		new Promise<void>((resolve, reject) => {
			const onData = (chunk: Buffer) => {
				head += chunk.toString("latin1")
				if (!head.includes("\r\n\r\n")) return
				socket.off("data", onData)
				socket.on("data", () => {}) // keep reading, never answer
				if (head.startsWith("HTTP/1.1 101")) resolve()
				else reject(new Error(`raw handshake answered ${head.split("\r\n")[0]}`))
			}
			socket.on("data", onData)
		}),
		STEP_MS,
		"raw handshake",
	)
	return socket
}

test("shutdown closes with 1001, terminates what does not close within the timeout, then refuses", async () => {
	const manager = getConnectionManager({ handleSignals: false })
	const clients: WebSocket[] = []
	for (let i = 0; i < 3; i++) clients.push(await connect(server.url + "/work"))
	const deafAdded = nextEvent<[ManagedConnection]>(manager, "connection:added", (c) => c.route === "/deaf")
	const deaf = await deafClient(server.url)
	await deafAdded
	const deafEnded = withTimeout(once(deaf, "close"), STEP_MS, "the deaf client cut off")
	assert.equal(manager.getAllManagedConnections().length, 4)

	const closes = clients.map((ws) => closed(ws))
	const started = Date.now()
	const result = await ConnectionManagerAPI.shutdown({ timeout: 400, closeCode: 1001, closeReason: "Server restarting" })
	assert.deepEqual(await Promise.all(closes), Array(3).fill({ code: 1001, reason: "Server restarting" }))
	assert.deepEqual(result, { closed: 3, terminated: 1 })
	assert.ok(Date.now() - started >= 350, "waited for the deaf client")
	await deafEnded
	assert.equal(WebSocketStats.getConnectionCount(), 0)
	assert.equal(WebSocketStats.isShutDown, true)
	assert.equal(manager.isShuttingDown, true)
	// Later calls get the same result; new handshakes get 503.
	assert.equal(await WebSocketStats.shutdown(), result)
	const answer = await refused(server.url + "/late")
	assert.equal(answer.status, 503)
	assert.match(answer.body, /shutting down/)
	assert.equal(manager.getStats().rejected.shutdown, 1)
})
