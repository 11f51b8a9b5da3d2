// Subprotocol selection, as `ws` does it: without `protocol` the first one
// the client offered is selected; `protocol: "x"` selects another offered
// one; `protocol: false` selects none (a client that offered some then fails
// the connection). Both sides must report the same subprotocol. Real ws
// clients on 127.0.0.1, standalone and middleware style.

import assert from "node:assert/strict"
import { after, before, test } from "node:test"
import WebSocket from "ws"
import type { ServerWebSocket } from "../../shared/server-websocket.js"
import { selectProtocol } from "../../shared/handshake.js"
import { nextMessage, type Route, startServer, STEP_MS, type TestServer, withTimeout } from "./helpers.js"

// /default: upgradeWebSocket(); /none: { protocol: false }; /pick?p=x: { protocol: x }.
// The server socket's protocol is the first message.
const route: Route = ({ locals, url }) => {
	if (!locals.isUpgradeRequest) return new Response("Upgrade required", { status: 426 })
	let options: { protocol?: string | false } | undefined
	if (url.pathname === "/none") options = { protocol: false }
	if (url.pathname === "/pick") options = { protocol: url.searchParams.get("p") ?? "" }
	let upgrade: ReturnType<typeof locals.upgradeWebSocket>
	try {
		upgrade = locals.upgradeWebSocket(options)
	} catch (error) {
		return new Response(String(error), { status: 400 })
	}
	const socket = upgrade.socket as unknown as ServerWebSocket
	socket.onopen = () => socket.send(`protocol:${socket.protocol}`)
	return upgrade.response
}

const servers: Record<string, TestServer> = {}

before(async () => {
	servers.standalone = await startServer(route)
	servers.middleware = await startServer(route, {}, "middleware")
})

after(async () => {
	await Promise.all(Object.values(servers).map((s) => s.close()))
})

type Outcome = { open: true; client: string; server: string } | { open: false; error: string; status?: number; body?: string }

/** Connects with `protocols` offered; reports what each side selected, or how the client failed. */
function attempt(url: string, protocols: string[]): Promise<Outcome> {
	const ws = new WebSocket(url, protocols)
	return withTimeout(
		new Promise<Outcome>((resolve) => {
			ws.once("open", async () => {
				try {
					const first = await nextMessage(ws)
					resolve({ open: true, client: ws.protocol, server: first.replace(/^protocol:/, "") })
				} catch (error) {
					resolve({ open: false, error: String(error) })
				} finally {
					ws.close()
				}
			})
			ws.once("unexpected-response", (_req, res) => {
				let body = ""
				res.setEncoding("utf8")
				res.on("data", (chunk: string) => {
					body += chunk
				})
				res.once("end", () => {
					ws.terminate()
					resolve({ open: false, error: "refused", status: res.statusCode, body })
				})
			})
			ws.once("error", (error) => resolve({ open: false, error: error.message }))
		}),
		STEP_MS,
		`handshake to ${url}`,
	)
}

for (const mode of ["standalone", "middleware"]) {
	test(`${mode}: without protocol, the first offered subprotocol is selected on both sides`, async () => {
		const base = servers[mode].url
		assert.deepEqual(await attempt(`${base}/default`, ["chat"]), { open: true, client: "chat", server: "chat" })
		assert.deepEqual(await attempt(`${base}/default`, ["chat.v1", "chat.v2"]), { open: true, client: "chat.v1", server: "chat.v1" })
		assert.deepEqual(await attempt(`${base}/default`, []), { open: true, client: "", server: "" })
	})

	test(`${mode}: protocol selects another offered subprotocol`, async () => {
		const base = servers[mode].url
		assert.deepEqual(await attempt(`${base}/pick?p=chat.v2`, ["chat.v1", "chat.v2"]), { open: true, client: "chat.v2", server: "chat.v2" })
	})

	test(`${mode}: protocol: false selects none, and a client that offered some fails`, async () => {
		const base = servers[mode].url
		const none = await attempt(`${base}/none`, ["chat.v1", "chat.v2"])
		assert.equal(none.open, false)
		assert.match((none as { error: string }).error, /subprotocol/i, "ws fails the handshake for the missing subprotocol")
		// Offering nothing, selecting none opens.
		assert.deepEqual(await attempt(`${base}/none`, []), { open: true, client: "", server: "" })
	})

	test(`${mode}: a protocol the client did not offer throws in the route`, async () => {
		const base = servers[mode].url
		const r = await attempt(`${base}/pick?p=chat.v3`, ["chat.v1"])
		assert.equal(r.open, false)
		assert.equal((r as { status?: number }).status, 400)
		assert.match((r as { body?: string }).body ?? "", /did not offer this subprotocol.*"chat\.v1".*protocol: false/)
	})
}

test("selectProtocol: default first offered, false none, strings checked", () => {
	assert.equal(selectProtocol(undefined, ["a", "b"]), "a")
	assert.equal(selectProtocol(undefined, []), undefined)
	assert.equal(selectProtocol(false, ["a", "b"]), undefined)
	assert.equal(selectProtocol("b", ["a", "b"]), "b")
	assert.throws(() => selectProtocol("c", ["a", "b"]), /did not offer/)
	assert.throws(() => selectProtocol("a", []), /It offered: none/)
	assert.throws(() => selectProtocol(true, ["a"]), TypeError)
	assert.throws(() => selectProtocol(1, ["a"]), TypeError)
})
