// Shared plumbing of the runtime's unit tests: a node:http server whose
// request handler plays upstream's part (locals, then a route, then the
// Response written to `res`), and ws clients with bounded waits. Only
// 127.0.0.1 is ever used.

import { once } from "node:events"
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import WebSocket, { type ClientOptions } from "ws"
import type { ServerWebSocket } from "../../shared/server-websocket.js"
import { prepareLocals, type UpgradeLocals } from "../locals.js"
import type { AdapterOptions } from "../options.js"
import { attachUpgrade, createUpgradeHandler } from "../upgrade.js"

/** One bound for a single step: connect, one message, one close. */
export const STEP_MS = 5_000

export type Route = (context: { locals: UpgradeLocals; url: URL; req: IncomingMessage }) => Response | Promise<Response>

export interface TestServer {
	readonly url: string
	readonly server: Server
	close(): Promise<void>
}

/** Upstream's handler in miniature: locals first, then the route, then the Response. */
function appHandler(route: Route) {
	return async (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => {
		const locals = prepareLocals(req, {}) as UpgradeLocals
		const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "127.0.0.1"}`)
		if (url.pathname === "/next" && next) return next()
		const response = await route({ locals, url, req })
		const headers: Record<string, string> = {}
		response.headers.forEach((value, name) => {
			headers[name] = value
		})
		res.writeHead(response.status, headers)
		res.end(Buffer.from(await response.arrayBuffer()))
	}
}

/**
 * A server on 127.0.0.1 that serves `route` for every path, standalone style
 * (attachUpgrade) or middleware style (createUpgradeHandler, with a `next`
 * that answers 404 itself).
 */
export async function startServer(route: Route, options: AdapterOptions = {}, mode: "standalone" | "middleware" = "standalone"): Promise<TestServer> {
	const handler = appHandler(route)
	const server = createServer((req, res) => void handler(req, res))
	if (mode === "standalone") {
		attachUpgrade(server, handler, options)
	} else {
		const upgradeHandler = createUpgradeHandler(handler, options)
		server.on("upgrade", (req, socket, head) =>
			upgradeHandler(req, socket, head, () => {
				socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 4\r\n\r\nnext")
			}),
		)
	}
	server.listen(0, "127.0.0.1")
	await withTimeout(once(server, "listening"), STEP_MS, "server listening")
	const { port } = server.address() as AddressInfo
	return {
		url: `ws://127.0.0.1:${port}`,
		server,
		async close() {
			server.closeAllConnections()
			await withTimeout(new Promise<void>((resolve) => server.close(() => resolve())), STEP_MS, "server close")
		},
	}
}

/** A route that accepts every handshake and echoes; `setup` sees the socket first. */
export function echoRoute(setup?: (socket: ServerWebSocket, url: URL) => void): Route {
	return ({ locals, url }) => {
		if (!locals.isUpgradeRequest) return new Response("Upgrade required", { status: 426 })
		const upgrade = locals.upgradeWebSocket()
		// Seen through the public interface, as user code sees it (env.d.ts).
		const socket = upgrade.socket as unknown as ServerWebSocket
		const response = upgrade.response
		socket.onmessage = (event) => {
			if (typeof event.data === "string") socket.send(event.data)
		}
		setup?.(socket, url)
		return response
	}
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
	let timer: NodeJS.Timeout | undefined
	const timeout = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)
	})
	return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** Opens a client; rejects with the status when the handshake is refused. */
export function connect(url: string, options: ClientOptions = {}): Promise<WebSocket> {
	const ws = new WebSocket(url, options)
	return withTimeout(
		new Promise<WebSocket>((resolve, reject) => {
			ws.once("open", () => resolve(ws))
			ws.once("unexpected-response", (_req, res) => {
				res.resume()
				ws.terminate()
				reject(Object.assign(new Error(`handshake refused with ${res.statusCode}`), { status: res.statusCode }))
			})
			ws.once("error", reject)
		}),
		STEP_MS,
		`connect ${url}`,
	)
}

export interface Refusal {
	status: number
	headers: IncomingMessage["headers"]
	body: string
}

/** Expects the handshake to be refused; returns the HTTP answer. */
export function refused(url: string, options: ClientOptions = {}): Promise<Refusal> {
	const ws = new WebSocket(url, options)
	return withTimeout(
		new Promise<Refusal>((resolve, reject) => {
			ws.once("open", () => {
				ws.terminate()
				reject(new Error(`handshake to ${url} was accepted, want a refusal`))
			})
			ws.once("unexpected-response", (_req, res) => {
				let body = ""
				res.setEncoding("utf8")
				res.on("data", (chunk: string) => {
					body += chunk
				})
				res.once("end", () => {
					ws.terminate()
					resolve({ status: res.statusCode ?? 0, headers: res.headers, body })
				})
			})
			ws.once("error", () => {})
		}),
		STEP_MS,
		`refusal from ${url}`,
	)
}

export function nextMessage(ws: WebSocket, ms = STEP_MS): Promise<string> {
	return withTimeout(
		new Promise<string>((resolve) => ws.once("message", (data: Buffer) => resolve(data.toString("utf8")))),
		ms,
		"a message",
	)
}

export interface Closed {
	code: number
	reason: string
}

/** Resolves when the client sees the close (code 1006 when the connection dropped). */
export function closed(ws: WebSocket, ms = STEP_MS): Promise<Closed> {
	if (ws.readyState === WebSocket.CLOSED) return Promise.reject(new Error("already closed"))
	return withTimeout(
		new Promise<Closed>((resolve) => ws.once("close", (code: number, reason: Buffer) => resolve({ code, reason: reason.toString("utf8") }))),
		ms,
		"the close",
	)
}

/** Closes clients and waits until each has seen its close. */
export async function closeAll(clients: WebSocket[]): Promise<void> {
	await Promise.all(
		clients
			.filter((ws) => ws.readyState !== WebSocket.CLOSED)
			.map((ws) => {
				const done = closed(ws)
				ws.close()
				return done
			}),
	)
}

/** Resolves with the arguments of the next `event` that `accept` takes. */
export function nextEvent<A extends unknown[]>(
	emitter: { on(event: string, listener: (...args: A) => void): unknown; off(event: string, listener: (...args: A) => void): unknown },
	event: string,
	accept: (...args: A) => boolean = () => true,
	ms = STEP_MS,
): Promise<A> {
	let listener: ((...args: A) => void) | undefined
	return withTimeout(
		new Promise<A>((resolve) => {
			listener = (...args: A) => {
				if (accept(...args)) resolve(args)
			}
			emitter.on(event, listener)
		}),
		ms,
		`event ${event}`,
	).finally(() => {
		if (listener) emitter.off(event, listener)
	})
}
