// One WebSocket connection as the connection manager tracks it: from the
// admitted handshake to the close, with its traffic, tags, data and health.

import { randomUUID } from "node:crypto"
import type { WebSocket } from "ws"
import type { ServerWebSocket } from "../shared/server-websocket.js"
import type {
	ConnectionState,
	HealthCheckResult,
	HealthStatus,
	ManagedConnection,
	RemovalReason,
} from "./connection-types.js"

const STATES: readonly ConnectionState[] = ["CONNECTING", "OPEN", "CLOSING", "CLOSED"]

/** Who the client is, as read from the handshake. */
export interface ClientInfo {
	readonly ip: string
	readonly userAgent: string
	readonly route: string
}

interface PendingPing {
	readonly promise: Promise<HealthCheckResult>
	readonly resolve: (result: HealthCheckResult) => void
	readonly timer: NodeJS.Timeout
	readonly sentAt: number
}

export class Connection implements ManagedConnection {
	readonly id: string = randomUUID()
	readonly ip: string
	readonly userAgent: string
	readonly route: string
	readonly createdAt: number = Date.now()
	readonly tags: Set<string> = new Set()
	readonly data: Record<string, unknown> = {}
	/** The key of this connection's route in the per-route statistics. */
	readonly routeKey: string
	lastActivity: number = this.createdAt
	messagesIn = 0
	messagesOut = 0
	bytesIn = 0
	bytesOut = 0
	healthStatus: HealthStatus = "unknown"
	latency: number | undefined
	closeCode: number | undefined
	closeReason: string | undefined
	#socket: ServerWebSocket | undefined
	#ws: WebSocket | undefined
	#closed = false
	#removal: RemovalReason | undefined
	#ping: PendingPing | undefined

	constructor(client: ClientInfo, routeKey: string) {
		this.ip = client.ip
		this.userAgent = client.userAgent
		this.route = client.route
		this.routeKey = routeKey
	}

	get remoteAddress(): string {
		return this.ip
	}

	get url(): string {
		return this.#socket?.url ?? ""
	}

	get age(): number {
		return Date.now() - this.createdAt
	}

	get idleTime(): number {
		return Date.now() - this.lastActivity
	}

	get state(): ConnectionState {
		if (this.#closed) return "CLOSED"
		return this.#ws === undefined ? "CONNECTING" : (STATES[this.#ws.readyState] ?? "CLOSED")
	}

	get socket(): ServerWebSocket {
		if (this.#socket === undefined) throw new Error("This connection has no socket yet.")
		return this.#socket
	}

	get hasSocket(): boolean {
		return this.#socket !== undefined
	}

	/** The handshake opened: the `ws` connection exists. */
	get opened(): boolean {
		return this.#ws !== undefined
	}

	/** Why it was removed: set by whoever closed it, else "closed". */
	get removalReason(): RemovalReason {
		return this.#removal ?? "closed"
	}

	get pingInFlight(): boolean {
		return this.#ping !== undefined
	}

	bind(socket: ServerWebSocket): void {
		this.#socket = socket
	}

	attach(ws: WebSocket): void {
		this.#ws = ws
	}

	received(bytes: number): void {
		this.messagesIn++
		this.bytesIn += bytes
		this.lastActivity = Date.now()
	}

	sent(bytes: number): void {
		this.messagesOut++
		this.bytesOut += bytes
		this.lastActivity = Date.now()
	}

	/** Starts the closing handshake with any code ws accepts (1001 included). */
	close(code: number, reason: string, removal: RemovalReason): boolean {
		const ws = this.#ws
		if (ws === undefined || ws.readyState !== ws.OPEN) return false
		this.#removal ??= removal
		ws.close(code, reason)
		return true
	}

	/** Drops the connection without a closing handshake. */
	terminate(removal: RemovalReason): boolean {
		const ws = this.#ws
		if (ws === undefined || this.#closed) return false
		this.#removal ??= removal
		ws.terminate()
		return true
	}

	/** Pings the client; one ping at a time, later callers share its result. */
	ping(timeout: number): Promise<HealthCheckResult> {
		if (this.#ping) return this.#ping.promise
		const ws = this.#ws
		if (ws === undefined || ws.readyState !== ws.OPEN) {
			return Promise.resolve({ healthy: false, error: "The connection is not open." })
		}
		let resolve!: (result: HealthCheckResult) => void
		const promise = new Promise<HealthCheckResult>((r) => {
			resolve = r
		})
		const timer = setTimeout(() => {
			this.#settlePing({ healthy: false, error: `No pong within ${timeout} ms.` })
		}, timeout)
		timer.unref()
		this.#ping = { promise, resolve, timer, sentAt: Date.now() }
		try {
			ws.ping()
		} catch (error) {
			this.#settlePing({ healthy: false, error: `Ping failed: ${error instanceof Error ? error.message : String(error)}` })
		}
		return promise
	}

	pong(): void {
		const ping = this.#ping
		if (ping === undefined) return
		this.#settlePing({ healthy: true, latency: Date.now() - ping.sentAt })
	}

	/** The connection is gone; a ping in flight fails. */
	closed(code: number, reason: string): void {
		this.#closed = true
		this.closeCode = code
		this.closeReason = reason
		this.#settlePing({ healthy: false, error: "The connection closed." })
	}

	#settlePing(result: HealthCheckResult): void {
		const ping = this.#ping
		if (ping === undefined) return
		this.#ping = undefined
		clearTimeout(ping.timer)
		this.healthStatus = result.healthy ? "healthy" : "unhealthy"
		if (result.latency !== undefined) this.latency = result.latency
		ping.resolve(result)
	}
}
