// `astro dev` of the adapter generations that run the app in Node, beside a
// wrangler platform proxy (@astrojs/cloudflare up to 12.x): WebSocket routes
// are served by the Node runtime of zastro-websockets-node (the same code,
// `ws` underneath), with the same contract as in the worker. The generations
// that run the app in workerd through @cloudflare/vite-plugin (13.x on) need
// none of this: the plugin forwards upgrade requests to the worker.

import type { IncomingMessage, ServerResponse } from "node:http"
// The Node runtime's public entry (templates/node/index.ts).
import { type DevServer, prepareLocals, setupDevServer as setupNodeDevServer } from "../node/index.js"

const ASTRO_LOCALS = Symbol.for("astro.locals")

interface ServerSetup {
	server: DevServer
}

/**
 * Wraps upstream's `astro:server:setup` hook: WebSocket routes are set up
 * first, then upstream's hook runs as it ships (platform proxy, its locals).
 */
export function withDevServer<Params extends ServerSetup, Result>(
	hook: (params: Params) => Result,
): (params: Params) => Result {
	return function zastroServerSetup(this: unknown, params: Params): Result {
		setupDevServer(params.server)
		return hook.call(this, params)
	}
}

/** Adds WebSocket routes to Astro's dev server. */
export function setupDevServer(server: DevServer): void {
	setupNodeDevServer(server)
	// Upstream's middleware replaces the request's locals with its own object
	// ({ runtime }); whoever sets them, the two members are kept. First in the
	// stack, before the Node runtime's own locals middleware.
	server.middlewares.stack.unshift({ route: "", handle: keepUpgradeLocals })
}

function keepUpgradeLocals(req: IncomingMessage, _res: ServerResponse, next: (error?: unknown) => void): void {
	let locals: unknown = Reflect.get(req, ASTRO_LOCALS)
	Object.defineProperty(req, ASTRO_LOCALS, {
		configurable: true,
		enumerable: false,
		get: () => locals,
		set: (value: unknown) => {
			locals = prepareLocals(req, typeof value === "object" ? value : undefined)
		},
	})
	next()
}
