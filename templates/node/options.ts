// The `websocket` adapter option and its defaults.

import type { ConnectionLimits } from "./connection-types.js"

/** The `websocket` member of the adapter options (see env.d.ts for the public docs). */
export interface WebSocketOptions {
	maxPayload?: number
	allowedOrigins?: readonly string[] | "*"
	responseTimeout?: number
	connections?: boolean | ConnectionLimits | null
}

/** The adapter options as the runtime reads them: only `websocket` matters here. */
export interface AdapterOptions {
	readonly websocket?: WebSocketOptions | null
}

export interface ResolvedOptions {
	readonly maxPayload: number
	/** Normalized origins, or undefined when every origin is allowed. */
	readonly allowedOrigins: ReadonlySet<string> | undefined
	readonly responseTimeout: number
	/** Options for the connection manager, or undefined when the adapter does not switch it on. */
	readonly connections: ConnectionLimits | undefined
}

/** 16 MiB: far above chat-sized messages, low enough that one client cannot exhaust memory. */
export const DEFAULT_MAX_PAYLOAD = 16 * 1024 * 1024
/** How long a route may take to answer an upgrade request before the socket is closed. */
export const DEFAULT_RESPONSE_TIMEOUT = 30_000

export function resolveOptions(options: AdapterOptions | null | undefined): ResolvedOptions {
	const websocket = options?.websocket ?? {}
	const origins = websocket.allowedOrigins
	return {
		maxPayload: positiveOr(websocket.maxPayload, DEFAULT_MAX_PAYLOAD),
		allowedOrigins:
			origins === undefined || origins === "*" || origins.includes("*")
				? undefined
				: new Set(origins.map(normalizeOrigin)),
		responseTimeout: positiveOr(websocket.responseTimeout, DEFAULT_RESPONSE_TIMEOUT),
		connections: connectionsOption(websocket.connections),
	}
}

/**
 * Whether a handshake's Origin may connect. Requests without an Origin come
 * from non-browser clients, which cross-site WebSocket hijacking cannot use.
 */
export function isOriginAllowed(options: ResolvedOptions, origin: string | undefined): boolean {
	if (options.allowedOrigins === undefined || origin === undefined) return true
	return options.allowedOrigins.has(normalizeOrigin(origin))
}

function connectionsOption(value: WebSocketOptions["connections"]): ConnectionLimits | undefined {
	if (value === true) return {}
	if (typeof value === "object" && value !== null) return value
	return undefined
}

function normalizeOrigin(origin: string): string {
	try {
		return new URL(origin).origin
	} catch {
		return origin.trim().toLowerCase()
	}
}

function positiveOr(value: number | undefined, fallback: number): number {
	return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : fallback
}
