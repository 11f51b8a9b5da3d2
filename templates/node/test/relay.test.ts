// The Node side of the Cloudflare `astro dev` relay (cloudflare/dev-workerd.ts)
// on a real node:http server with real ws clients. A listener registered
// after the setup, like @cloudflare/vite-plugin's, stands in for the plugin
// and the worker: it answers the relayed copy with a socket whose first
// message is the worker's answer (cloudflare/dev-relay.ts). The real plugin
// and workerd are covered by the e2e suite.

import assert from "node:assert/strict"
import { once } from "node:events"
import { mkdtempSync, writeFileSync } from "node:fs"
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { AddressInfo } from "node:net"
import { after, before, test } from "node:test"
import WebSocket, { WebSocketServer } from "ws"
import { RELAY_HEADER, type RelayAnswer } from "../../cloudflare/dev-relay.js"
import { setupWorkerdDevServer } from "../../cloudflare/dev-workerd.js"
import type { DevServer } from "../dev.js"
import { refused, STEP_MS, withTimeout } from "./helpers.js"

let server: Server
let base: string
/** What the stand-in plugin saw: the path and whether it was a relayed copy. */
const seen: { path: string; relayed: boolean; key: string | undefined }[] = []

before(async () => {
	server = createServer((_req, res) => res.end("page"))
	// Vite's middleware serves the public folder; here it names what it serves.
	const publicDir = mkdtempSync(join(tmpdir(), "zastro-relay-public-"))
	writeFileSync(join(publicDir, "file.txt"), "static")
	const handle = (req: IncomingMessage, res: ServerResponse) => res.end(`served ${req.url} by vite`)
	const dev = { httpServer: server, middlewares: { handle, stack: [] }, config: { publicDir } } as unknown as DevServer
	setupWorkerdDevServer(dev)
	// Registered after the hook, as the plugin's is.
	const plugin = new WebSocketServer({ noServer: true }) // selects the first offered subprotocol, as the plugin's does
	server.on("upgrade", (req: IncomingMessage, socket, head) => {
		const url = new URL(req.url ?? "/", "http://localhost")
		if (req.headers["sec-websocket-protocol"]?.startsWith("vite")) {
			plugin.handleUpgrade(req, socket, head, (ws) => ws.send("vite's own"))
			return
		}
		seen.push({ path: url.pathname, relayed: req.headers[RELAY_HEADER] === "1", key: req.headers["sec-websocket-key"] })
		if (req.headers[RELAY_HEADER] !== "1" || url.pathname === "/silent") {
			socket.destroy() // the plugin's answer to a worker that returned no socket
			return
		}
		plugin.handleUpgrade(req, socket, head, (ws) => {
			if (url.pathname === "/reject") {
				const answer: RelayAnswer = { zastroRelay: 1, status: 403, statusText: "", protocol: "", headers: [["x-reason", "test"], ["content-length", "999"]] }
				ws.send(JSON.stringify(answer))
				ws.send(Buffer.from("nope"))
				ws.close()
				return
			}
			const answer: RelayAnswer = {
				zastroRelay: 1,
				status: 101,
				statusText: "Switching Protocols",
				protocol: url.searchParams.get("p") ?? "",
				headers: [["set-cookie", "a=1"], ["set-cookie", "b=2"], ["sec-websocket-protocol", "wrong"]],
			}
			ws.send(JSON.stringify(answer))
			ws.send("from the worker") // sent right behind the answer: must reach the client
			ws.on("message", (data, binary) => ws.send(data, { binary }))
		})
	})
	server.listen(0, "127.0.0.1")
	await withTimeout(once(server, "listening"), STEP_MS, "listening")
	base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`
})

after(async () => {
	server.closeAllConnections()
	await new Promise<void>((resolve) => server.close(() => resolve()))
})

interface Opened {
	ws: WebSocket
	cookies: string[]
	/** The next message, from a queue filled from the start (a message may arrive with the 101). */
	next(): Promise<Buffer>
}

function open(url: string, protocols: string[], headers: Record<string, string> = {}): Promise<Opened> {
	const ws = new WebSocket(url, protocols, { headers })
	const queue: Buffer[] = []
	const waiting: ((data: Buffer) => void)[] = []
	ws.on("message", (data: Buffer) => {
		const w = waiting.shift()
		if (w) w(data)
		else queue.push(data)
	})
	const next = () =>
		withTimeout(
			new Promise<Buffer>((resolve) => {
				const queued = queue.shift()
				if (queued) resolve(queued)
				else waiting.push(resolve)
			}),
			STEP_MS,
			"a message",
		)
	return withTimeout(
		new Promise((resolve, reject) => {
			let cookies: string[] = []
			ws.once("upgrade", (res) => {
				cookies = res.headers["set-cookie"] ?? []
			})
			ws.once("open", () => resolve({ ws, cookies, next }))
			ws.once("error", reject)
			ws.once("unexpected-response", (_req, res) => reject(new Error(`refused with ${res.statusCode}`)))
		}),
		STEP_MS,
		`open ${url}`,
	)
}

test("the client gets the worker's subprotocol and headers, then the worker's socket", async () => {
	const { ws, cookies, next } = await open(`${base}/chat?p=chat.v2`, ["chat.v1", "chat.v2"], { [RELAY_HEADER]: "1" })
	try {
		assert.equal(ws.protocol, "chat.v2", "the worker's choice, not the first offered")
		assert.deepEqual(cookies, ["a=1", "b=2"])
		assert.equal((await next()).toString(), "from the worker")
		ws.send("echo me")
		assert.equal((await next()).toString(), "echo me")
		const bytes = Buffer.alloc(70_000, 7) // a frame with a 64-bit length, both ways
		ws.send(bytes)
		assert.ok((await next()).equals(bytes))
	} finally {
		ws.close()
	}
	const copies = seen.filter((s) => s.path === "/chat")
	assert.equal(copies.length, 1, "the plugin's listener sees only the relayed copy, once")
	assert.equal(copies[0].relayed, true)
})

test("the worker selecting none: no Sec-WebSocket-Protocol, and the client fails", async () => {
	await assert.rejects(open(`${base}/none`, ["chat.v1"]), /subprotocol/i)
})

test("a rejection reaches the client with its status, headers and body, and the connection closes", async () => {
	const r = await refused(`${base}/reject`)
	assert.equal(r.status, 403)
	assert.equal(r.headers["x-reason"], "test")
	assert.equal(r.headers["content-length"], "4", "the length of the body actually sent")
	assert.equal(r.headers.connection, "close")
	assert.equal(r.body, "nope")
})

test("no answer from the worker: 502", async () => {
	const r = await refused(`${base}/silent`)
	assert.equal(r.status, 502)
	assert.match(r.body, /no answer/)
})

test("Vite's own sockets are not relayed", async () => {
	const { ws, next } = await open(`${base}/`, ["vite-hmr"])
	try {
		assert.equal(ws.protocol, "vite-hmr")
		assert.equal((await next()).toString(), "vite's own")
	} finally {
		ws.close()
	}
})

test("an upgrade to a file of the public folder gets what Vite serves for it, not the worker", async () => {
	const r = await refused(`${base}/file.txt`)
	assert.equal(r.status, 200)
	assert.equal(r.body, "served /file.txt by vite")
	assert.equal(seen.filter((s) => s.path === "/file.txt").length, 0, "never relayed")
	// A path that leaves the folder is relayed to the worker like any other.
	const { ws } = await open(`${base}/..%2F..%2Fetc%2Fhostname`, [])
	ws.close()
	assert.ok(seen.some((s) => s.path.endsWith("hostname") && s.relayed), "relayed to the worker")
})
