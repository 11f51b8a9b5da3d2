// Text sent on from a message handler, on a real node:http server with real
// ws clients: the string being dispatched goes out as the bytes it came in
// as (wire.ts), so what reaches the clients, and what the connection manager
// counts, must be exactly what a fresh encoding of the string would give,
// whether the route echoes it, relays it to other sockets, changes it, or
// sends it after the handler returned.

import assert from "node:assert/strict"
import { after, before, test } from "node:test"
import type WebSocket from "ws"
import { getConnectionId, getConnectionManager } from "../connection-manager.js"
import type { ServerWebSocket } from "../../shared/server-websocket.js"
import { closeAll, connect, STEP_MS, startServer, type TestServer, withTimeout } from "./helpers.js"

let server: TestServer
const sockets = new Set<ServerWebSocket>()

before(async () => {
	server = await startServer(({ locals, url }) => {
		if (!locals.isUpgradeRequest) return new Response("Upgrade required", { status: 426 })
		const upgrade = locals.upgradeWebSocket()
		// Seen through the public interface, as user code sees it (env.d.ts).
		const socket = upgrade.socket as unknown as ServerWebSocket
		const response = upgrade.response
		const route = url.pathname
		sockets.add(socket)
		socket.onclose = () => sockets.delete(socket)
		socket.onmessage = (event) => {
			const text = (event as MessageEvent).data as string
			if (route === "/echo") {
				socket.send(text)
			} else if (route === "/relay") {
				for (const other of sockets) if (other !== socket) other.send(text)
			} else if (route === "/changed") {
				socket.send(`${text}!`)
				socket.send(text.slice(1))
			} else if (route === "/later") {
				setImmediate(() => socket.send(text))
			}
		}
		return response
	})
})

after(async () => {
	await server.close()
})

/** Sends each text and collects as many messages, with their kind. */
async function exchange(ws: WebSocket, texts: string[], expected: number, from: WebSocket = ws): Promise<{ text: string; binary: boolean }[]> {
	const got: { text: string; binary: boolean }[] = []
	const done = withTimeout(
		new Promise<void>((resolve) => {
			ws.on("message", (data: Buffer, isBinary: boolean) => {
				got.push({ text: data.toString("utf8"), binary: isBinary })
				if (got.length === expected) resolve()
			})
		}),
		STEP_MS,
		`${expected} messages`,
	)
	for (const text of texts) from.send(text)
	await done
	return got
}

const TEXTS = ["hello", "", "Grüße, 世界 👋🏽", "e\u0301 \u{1F469}\u200D\u{1F4BB}", "x".repeat(200_000)]

test("an echoed message comes back as the same text, in text frames", async () => {
	const ws = await connect(`${server.url}/echo`)
	const got = await exchange(ws, TEXTS, TEXTS.length)
	assert.deepEqual(
		got.map((m) => m.binary),
		TEXTS.map(() => false),
	)
	assert.deepEqual(
		got.map((m) => m.text),
		TEXTS,
	)
	await closeAll([ws])
})

test("a message relayed to other sockets reaches each as the same text", async () => {
	const sender = await connect(`${server.url}/relay`)
	const a = await connect(`${server.url}/relay`)
	const b = await connect(`${server.url}/relay`)
	const [gotA, gotB] = await Promise.all([exchange(a, [], TEXTS.length), exchange(b, TEXTS, TEXTS.length, sender)])
	for (const got of [gotA, gotB]) {
		assert.deepEqual(
			got.map((m) => m.text),
			TEXTS,
		)
	}
	await closeAll([sender, a, b])
})

test("a changed string, and the string sent after the handler returned, go out as they are", async () => {
	const changed = await connect(`${server.url}/changed`)
	const got = await exchange(changed, ["añb"], 2)
	assert.deepEqual(
		got.map((m) => m.text),
		["añb!", "ñb"],
	)
	const later = await connect(`${server.url}/later`)
	assert.deepEqual(
		(await exchange(later, TEXTS, TEXTS.length)).map((m) => m.text),
		TEXTS,
	)
	await closeAll([changed, later])
})

test("the connection manager counts the bytes of the text sent on", async () => {
	const manager = getConnectionManager({ handleSignals: false })
	const ws = await connect(`${server.url}/echo`)
	const text = "Grüße 👋"
	await exchange(ws, [text], 1)
	const connections = [...sockets].map((socket) => manager.getManagedConnection(getConnectionId(socket) ?? ""))
	const echoed = connections.find((connection) => connection?.route === "/echo" && connection.messagesOut === 1)
	assert.ok(echoed, "the echo connection is tracked")
	assert.equal(echoed.bytesIn, Buffer.byteLength(text))
	assert.equal(echoed.bytesOut, Buffer.byteLength(text))
	await closeAll([ws])
})
