// `astro dev`: upgrade requests run through Vite's middleware stack, where
// Astro's dev handler renders the route. Astro's dev server reads a request's
// locals from the Node request under Symbol.for("astro.locals") (Astro 4 to 7).
// Vite's own HMR WebSocket, and WebSockets that Vite proxies, are left alone.

import type { IncomingMessage, Server as HttpServer, ServerResponse } from "node:http"
import type { Http2SecureServer } from "node:http2"
import type { Duplex } from "node:stream"
import { classifyUpgrade } from "./handshake.js"
import { prepareLocals } from "./locals.js"
import type { AdapterOptions } from "./options.js"
import { UpgradeEndpoint } from "./upgrade.js"

const ASTRO_LOCALS = Symbol.for("astro.locals")
const VITE_PROTOCOLS = new Set(["vite-hmr", "vite-ping"])

type NextFunction = (error?: unknown) => void
type Middleware = (req: IncomingMessage, res: ServerResponse, next: NextFunction) => void

interface ProxyOptionsLike {
	ws?: boolean
	target?: unknown
}

/** The part of Vite's ViteDevServer that is used here (no dependency on vite's types). */
export interface DevServer {
	httpServer: HttpServer | Http2SecureServer | null
	middlewares: {
		handle(req: IncomingMessage, res: ServerResponse, out: NextFunction): void
		stack: { route: string; handle: Middleware }[]
	}
	config: {
		base?: string
		server?: {
			hmr?: boolean | { path?: string; port?: number; server?: unknown }
			proxy?: Record<string, string | ProxyOptionsLike>
		}
	}
}

/** Adds WebSocket routes to Astro's dev server; call it from `astro:server:setup`. */
export function setupDevServer(server: DevServer, options?: AdapterOptions | null): void {
	// Astro's own handler ends the stack and never calls next: put ours first.
	server.middlewares.stack.unshift({
		route: "",
		handle: function zastroWebSocketLocals(req, _res, next) {
			Reflect.set(req, ASTRO_LOCALS, prepareLocals(req, Reflect.get(req, ASTRO_LOCALS) as object | undefined))
			next()
		},
	})
	const httpServer = server.httpServer
	if (!httpServer) return // Vite in middleware mode has no server of its own
	const endpoint = new UpgradeEndpoint(options)
	httpServer.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
		if (classifyUpgrade(req).kind === "other" || isViteWebSocket(server, req)) return
		// Another `upgrade` listener (Vite's, or one an integration added) may have taken it.
		// A keep-alive connection has already written earlier responses: only
		// bytes written since this event mean another listener answered.
		const written = bytesWritten(socket)
		setImmediate(() => {
			if (socket.destroyed || socket.listenerCount("data") > 0 || bytesWritten(socket) > written) return
			endpoint.handle(req, socket, head, (request, sink) =>
				server.middlewares.handle(request, sink, (error) => {
					if (error !== undefined && error !== null) sink.fail(error)
					else sink.notFound()
				}),
			)
		})
	})
}

/** Whether an upgrade belongs to Vite: its HMR socket, or a path its proxy forwards. */
export function isViteWebSocket(server: DevServer, req: IncomingMessage): boolean {
	const offered = (req.headers["sec-websocket-protocol"] ?? "").split(",").map((p) => p.trim())
	if (offered.some((protocol) => VITE_PROTOCOLS.has(protocol))) return true
	const url = req.url ?? "/"
	const hmr = server.config.server?.hmr
	if (typeof hmr === "object" && hmr.path && hmr.port === undefined && hmr.server === undefined) {
		const base = server.config.base ?? "/"
		const path = `${base.replace(/\/$/, "")}/${hmr.path.replace(/^\//, "")}`
		if (url.split("?")[0] === path) return true
	}
	for (const [context, proxy] of Object.entries(server.config.server?.proxy ?? {})) {
		const target = typeof proxy === "string" ? proxy : String(proxy.target ?? "")
		const ws = (typeof proxy === "object" && proxy.ws === true) || /^wss?:/.test(target)
		if (ws && (context.startsWith("^") ? new RegExp(context).test(url) : url.startsWith(context))) return true
	}
	return false
}

function bytesWritten(socket: Duplex): number {
	return (socket as { bytesWritten?: number }).bytesWritten ?? 0
}
