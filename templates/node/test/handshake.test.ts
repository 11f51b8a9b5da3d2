// The parts of a handshake that each request makes once: the connection id,
// the response timeout, the headers of the 101 and the listeners of the
// response object. Real ws clients on 127.0.0.1.

import assert from "node:assert/strict"
import type { IncomingHttpHeaders } from "node:http"
import { after, before, test } from "node:test"
import WebSocket from "ws"
import type { ServerWebSocket } from "../../shared/server-websocket.js"
import { getConnectionId } from "../connection-manager.js"
import { randomId } from "../connection.js"
import { UPGRADE_TOKEN_HEADER } from "../handshake.js"
import { refused, type Route, startServer, STEP_MS, type TestServer, withTimeout } from "./helpers.js"

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

test("connection ids are distinct random version 4 UUIDs, across refills of the random bytes", () => {
	const ids = new Set<string>()
	const n = 128 * 5 + 7 // five refills and a part
	for (let i = 0; i < n; i++) {
		const id = randomId()
		assert.match(id, UUID_V4)
		ids.add(id)
	}
	assert.equal(ids.size, n)
	// Every hex digit appears in every free position over this many ids: the
	// bytes are random, not a counter or a constant.
	const first = [...ids].map((id) => id[0])
	assert.equal(new Set(first).size, 16)
})

// /slow never answers within its response timeout; /cookie answers with a
// cookie that must reach the 101; every other path accepts and reports its
// connection id as the first message.
const route: Route = ({ locals, url }) => {
	if (!locals.isUpgradeRequest) return new Response("Upgrade required", { status: 426 })
	if (url.pathname === "/slow") return new Promise<Response>(() => {})
	const upgrade = locals.upgradeWebSocket()
	// Seen through the public interface, as user code sees it (env.d.ts).
	const socket = upgrade.socket as unknown as ServerWebSocket
	const response = upgrade.response
	socket.onopen = () => socket.send(getConnectionId(socket) ?? "no id")
	if (url.pathname === "/cookie") response.headers.append("set-cookie", "session=1")
	return response
}

const servers: Record<string, TestServer> = {}

/** Connects, returns the first message the server sends, closes. */
function firstMessage(url: string): Promise<string> {
	const ws = new WebSocket(url)
	return withTimeout(
		new Promise<string>((resolve, reject) => {
			ws.once("message", (data: Buffer) => {
				resolve(data.toString("utf8"))
				ws.close()
			})
			ws.once("error", reject)
		}),
		STEP_MS,
		`the first message of ${url}`,
	)
}

/** The headers of the 101 a client gets (ws reports them on its "upgrade" event). */
function upgradeHeaders(url: string): Promise<IncomingHttpHeaders> {
	const ws = new WebSocket(url)
	return withTimeout(
		new Promise<IncomingHttpHeaders>((resolve, reject) => {
			ws.once("upgrade", (res) => resolve(res.headers))
			ws.once("open", () => ws.close())
			ws.once("error", reject)
		}),
		STEP_MS,
		`the 101 of ${url}`,
	)
}

before(async () => {
	servers.standalone = await startServer(route, { websocket: { responseTimeout: 300 } })
	servers.middleware = await startServer(route, { websocket: { responseTimeout: 300 } }, "middleware")
})

after(async () => {
	await Promise.all(Object.values(servers).map((s) => s.close()))
})

for (const mode of ["standalone", "middleware"]) {
	test(`${mode}: a socket's connection id is a UUID of its own`, async () => {
		const server = servers[mode] as TestServer
		const ids = await Promise.all([firstMessage(`${server.url}/a`), firstMessage(`${server.url}/b`)])
		for (const id of ids) assert.match(id, UUID_V4)
		assert.notEqual(ids[0], ids[1])
	})

	test(`${mode}: a route that does not answer within responseTimeout gets a 503, and the server goes on`, async () => {
		const server = servers[mode] as TestServer
		const started = Date.now()
		const refusal = await refused(`${server.url}/slow`)
		assert.equal(refusal.status, 503)
		assert.ok(Date.now() - started >= 250, "not before the timeout")
		assert.match(await firstMessage(`${server.url}/after`), UUID_V4)
	})

	test(`${mode}: the 101 carries the route's cookie and never the token`, async () => {
		const headers = await upgradeHeaders(`${(servers[mode] as TestServer).url}/cookie`)
		assert.deepEqual(headers["set-cookie"], ["session=1"])
		assert.equal(headers[UPGRADE_TOKEN_HEADER], undefined)
	})

	test(`${mode}: the plain 101 has ws's headers alone`, async () => {
		const headers = await upgradeHeaders(`${(servers[mode] as TestServer).url}/plain`)
		assert.deepEqual(Object.keys(headers).sort(), ["connection", "sec-websocket-accept", "upgrade"])
	})
}
