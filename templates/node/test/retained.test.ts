// What an open, idle connection keeps alive. After the handshake a socket
// needs its ws connection, its ServerWebSocket and the statistics record;
// the request, the response the route wrote to, the handshake, the Request
// built for the route and timers must all be collectable. Counted in a heap
// snapshot of this process (which collects garbage first) with N connections
// open: anything kept per connection shows up N times. No timing involved.

import assert from "node:assert/strict"
import { readFileSync, rmSync } from "node:fs"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { after, before, test } from "node:test"
import { writeHeapSnapshot } from "node:v8"
import type WebSocket from "ws"
import { prepareLocals, type UpgradeLocals } from "../locals.js"
import { attachUpgrade } from "../upgrade.js"
import { closeAll, connect, nextMessage } from "./helpers.js"

const N = 40

/** The route, a module of its own as in an app: it never sees the Node request. */
function route(locals: UpgradeLocals): Response {
	if (!locals.isUpgradeRequest) return new Response("Upgrade required", { status: 426 })
	const { socket, response } = locals.upgradeWebSocket()
	socket.onmessage = (event) => socket.send((event as MessageEvent).data as string)
	return response
}

/**
 * Upstream's handler in the shape that holds on to the most: a Request with
 * an abort signal wired to the socket's close, an `error` listener on the
 * Node request in the same scope as the Request, locals, then the route's
 * Response written through writeHead and end.
 */
function upstreamLikeHandler(req: IncomingMessage, res: ServerResponse): void {
	const locals = prepareLocals(req, {}) as UpgradeLocals
	const controller = new AbortController()
	const request = new Request(new URL(req.url ?? "/", "http://127.0.0.1"), { signal: controller.signal })
	const onClose = () => controller.abort()
	req.socket.on("close", onClose)
	req.once("error", () => {
		if (!request.signal.aborted) controller.abort()
	})
	void (async () => {
		const response = route(locals)
		const headers: Record<string, string> = {}
		response.headers.forEach((value, name) => {
			headers[name] = value
		})
		res.writeHead(response.status, headers)
		res.once("finish", () => req.socket.off("close", onClose))
		res.end(Buffer.from(await response.arrayBuffer()))
	})()
}

let url = ""
let close: () => Promise<void>

before(async () => {
	const server = createServer(upstreamLikeHandler)
	attachUpgrade(server, upstreamLikeHandler, {})
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
	url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/echo`
	close = async () => {
		server.closeAllConnections()
		await new Promise<void>((resolve) => server.close(() => resolve()))
	}
})

after(async () => {
	await close()
})

/** Live objects per constructor name (esbuild may add a digit to a class name). */
function liveObjects(): Map<string, number> {
	const file = join(tmpdir(), `zastro-retained-${process.pid}.heapsnapshot`)
	writeHeapSnapshot(file)
	try {
		const snapshot = JSON.parse(readFileSync(file, "utf8")) as {
			snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }
			nodes: number[]
			strings: string[]
		}
		const fields = snapshot.snapshot.meta.node_fields
		const types = snapshot.snapshot.meta.node_types[0]
		const width = fields.length
		const typeAt = fields.indexOf("type")
		const nameAt = fields.indexOf("name")
		const counts = new Map<string, number>()
		for (let i = 0; i < snapshot.nodes.length; i += width) {
			if (types[snapshot.nodes[i + typeAt]] !== "object") continue
			const name = snapshot.strings[snapshot.nodes[i + nameAt]].replace(/\d+$/, "")
			counts.set(name, (counts.get(name) ?? 0) + 1)
		}
		return counts
	} finally {
		rmSync(file, { force: true })
	}
}

test(`${N} open idle connections keep no request, response, handshake or timer each`, async () => {
	const clients: WebSocket[] = []
	try {
		for (let i = 0; i < N; i++) {
			const ws = await connect(url)
			clients.push(ws)
			ws.send("ping")
			assert.equal(await nextMessage(ws), "ping")
		}
		const live = liveObjects()
		const count = (name: string) => live.get(name) ?? 0
		// The measure sees the connections at all: each has its socket (server
		// side) and its ws WebSocket on both sides.
		assert.equal(count("ServerWebSocket"), N, "one ServerWebSocket per connection")
		assert.ok(count("WebSocket") >= 2 * N, `ws WebSockets: ${count("WebSocket")}`)
		const perConnection = (name: string) => count(name) / N
		for (const name of ["IncomingMessage", "UpgradeSink", "ServerResponse", "Handshake", "Request", "_Request", "AbortController"]) {
			assert.ok(perConnection(name) < 0.25, `${name}: ${count(name)} live with ${N} connections open, want none kept per connection`)
		}
		// The client's request objects (ClientRequest) are the test's own; timers
		// per connection would show as ~N Timeouts.
		assert.ok(perConnection("Timeout") < 0.25, `Timeout: ${count("Timeout")} live with ${N} connections open`)
		// Closures and containers made per connection by the runtime: the
		// ServerWebSocket's Control, the wire, the statistics record.
		for (const name of ["Control", "NodeWire", "Connection"]) {
			assert.ok(count(name) <= N, `${name}: ${count(name)} live, want at most one per connection`)
		}
	} finally {
		await closeAll(clients)
	}
})
