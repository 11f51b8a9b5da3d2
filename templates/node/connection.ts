// One WebSocket connection as the connection manager tracks it: from the
// admitted handshake to the close, with its traffic, tags, data and health.

import { randomFillSync } from "node:crypto"
import type { WebSocket } from "ws"
import type { ServerWebSocket } from "../shared/server-websocket.js"
import type { RouteCounters, TrafficMeter, Traffic } from "./connection-manager.js"
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

type ClosedHook = (connection: Connection, code: number, reason: string) => void

/** What few connections ever need, kept apart so that the others do not pay a field for each. */
interface Extras {
	removal?: RemovalReason
	ping?: PendingPing
	listensForPong?: boolean
	tags?: Set<string>
	data?: Record<string, unknown>
}

export class Connection implements ManagedConnection, TrafficMeter {
	readonly id: string = randomId()
	readonly ip: string
	readonly userAgent: string
	readonly route: string
	readonly createdAt: number = Date.now()
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
	// Made on first use: most connections never get tags, data, a ping or a removal reason.
	#extras: Extras | undefined
	// Where the traffic is also counted, and whom to tell of the close (set when it opens).
	#routeCounters: RouteCounters | undefined
	#totals: Traffic | undefined
	#onClosed: ClosedHook | undefined

	constructor(client: ClientInfo, routeKey: string) {
		this.ip = intern(client.ip)
		this.userAgent = intern(client.userAgent)
		this.route = intern(client.route)
		this.routeKey = routeKey === client.route ? this.route : routeKey
	}

	get tags(): Set<string> {
		return ((this.#extras ??= {}).tags ??= new Set())
	}

	get data(): Record<string, unknown> {
		return ((this.#extras ??= {}).data ??= {})
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
		return this.#extras?.removal ?? "closed"
	}

	get pingInFlight(): boolean {
		return this.#extras?.ping !== undefined
	}

	bind(socket: ServerWebSocket): void {
		this.#socket = socket
	}

	attach(ws: WebSocket): void {
		this.#ws = ws
	}

	/** The connection opened: its traffic also counts into `route` and `totals`; `onClosed` hears of the close. */
	meter(route: RouteCounters, totals: Traffic, onClosed: ClosedHook): void {
		this.#routeCounters = route
		this.#totals = totals
		this.#onClosed = onClosed
	}

	// Each message received reads the clock; the sends of its handler take
	// that time from the wire rather than reading it again. Keeping one
	// reading for a whole turn of the event loop would need a callback per
	// turn to forget it (setImmediate), which costs more than ten reads when
	// a turn carries one message, as every turn does for a lone client.
	received(bytes: number): number {
		const now = Date.now()
		this.messagesIn++
		this.bytesIn += bytes
		this.lastActivity = now
		const route = this.#routeCounters
		const totals = this.#totals
		if (route !== undefined && totals !== undefined) {
			route.messagesIn++
			route.bytesIn += bytes
			totals.messagesIn++
			totals.bytesIn += bytes
		}
		return now
	}

	sent(bytes: number, time?: number): void {
		this.messagesOut++
		this.bytesOut += bytes
		this.lastActivity = time ?? Date.now()
		const route = this.#routeCounters
		const totals = this.#totals
		if (route !== undefined && totals !== undefined) {
			route.messagesOut++
			route.bytesOut += bytes
			totals.messagesOut++
			totals.bytesOut += bytes
		}
	}

	/** Starts the closing handshake with any code ws accepts (1001 included). */
	close(code: number, reason: string, removal: RemovalReason): boolean {
		const ws = this.#ws
		if (ws === undefined || ws.readyState !== ws.OPEN) return false
		;(this.#extras ??= {}).removal ??= removal
		ws.close(code, reason)
		return true
	}

	/** Drops the connection without a closing handshake. */
	terminate(removal: RemovalReason): boolean {
		const ws = this.#ws
		if (ws === undefined || this.#closed) return false
		;(this.#extras ??= {}).removal ??= removal
		ws.terminate()
		return true
	}

	/** Pings the client; one ping at a time, later callers share its result. */
	ping(timeout: number): Promise<HealthCheckResult> {
		const pending = this.#extras?.ping
		if (pending) return pending.promise
		const ws = this.#ws
		if (ws === undefined || ws.readyState !== ws.OPEN) {
			return Promise.resolve({ healthy: false, error: "The connection is not open." })
		}
		const extras = (this.#extras ??= {})
		if (!extras.listensForPong) {
			extras.listensForPong = true
			ws.on("pong", () => this.pong())
		}
		let resolve!: (result: HealthCheckResult) => void
		const promise = new Promise<HealthCheckResult>((r) => {
			resolve = r
		})
		const timer = setTimeout(() => {
			this.#settlePing({ healthy: false, error: `No pong within ${timeout} ms.` })
		}, timeout)
		timer.unref()
		extras.ping = { promise, resolve, timer, sentAt: Date.now() }
		try {
			ws.ping()
		} catch (error) {
			this.#settlePing({ healthy: false, error: `Ping failed: ${error instanceof Error ? error.message : String(error)}` })
		}
		return promise
	}

	pong(): void {
		const ping = this.#extras?.ping
		if (ping === undefined) return
		this.#settlePing({ healthy: true, latency: Date.now() - ping.sentAt })
	}

	/** The wire reports the close (TrafficMeter): the manager hears of it once. */
	ended(code: number, reason: string): void {
		const onClosed = this.#onClosed
		this.#onClosed = undefined
		onClosed?.(this, code, reason)
	}

	/** The connection is gone; a ping in flight fails. */
	closed(code: number, reason: string): void {
		this.closeCode = code
		this.closeReason = reason
		this.#settlePing({ healthy: false, error: "The connection closed." })
	}

	/** Closed: `closed()` has set the close code, which is never undefined afterwards. */
	get #closed(): boolean {
		return this.closeCode !== undefined
	}

	#settlePing(result: HealthCheckResult): void {
		const extras = this.#extras
		const ping = extras?.ping
		if (extras === undefined || ping === undefined) return
		extras.ping = undefined
		clearTimeout(ping.timer)
		this.healthStatus = result.healthy ? "healthy" : "unhealthy"
		if (result.latency !== undefined) this.latency = result.latency
		ping.resolve(result)
	}
}

// Connections from one address, with one agent, to one route share their
// text rather than each keeping its own copy read from its request. Short
// strings only, and a bounded table that starts over when full.
const MAX_INTERNED = 256
const MAX_INTERNED_LENGTH = 256
const interned = new Map<string, string>()

function intern(text: string): string {
	if (text.length === 0 || text.length > MAX_INTERNED_LENGTH) return text
	const known = interned.get(text)
	if (known !== undefined) return known
	if (interned.size >= MAX_INTERNED) interned.clear()
	// One flat string of its own, not a slice that keeps its request's text alive.
	const own = /[^\x00-\xff]/.test(text) ? text : flat(text)
	interned.set(own, own)
	return own
}

/** The same text as one flat string, not a slice or a tree of pieces that keeps more alive. */
function flat(text: string): string {
	return Buffer.from(text, "latin1").toString("latin1")
}

// Connection ids are random (version 4) UUIDs, as from crypto.randomUUID(),
// whose result V8 keeps as a tree of a dozen concatenated pieces for as
// long as the string lives (and a connection keeps its id for its whole
// life). Here the 36 characters are written into one scratch buffer and
// read out as one flat string; the random bytes come from the same
// generator, 128 ids' worth at a time.
const IDS_PER_FILL = 128
const HEX_DIGITS = "0123456789abcdef"
// Made on first use (the module is also evaluated where no connection is ever made).
let randomBytes: Buffer | undefined
let randomAt = 0
let idText: Buffer | undefined

export function randomId(): string {
	if (randomBytes === undefined || idText === undefined) {
		randomBytes = Buffer.allocUnsafeSlow(16 * IDS_PER_FILL)
		randomAt = randomBytes.length
		idText = Buffer.allocUnsafeSlow(36)
	}
	if (randomAt === randomBytes.length) {
		randomFillSync(randomBytes)
		randomAt = 0
	}
	let at = 0
	for (let i = 0; i < 16; i++) {
		let byte = randomBytes[randomAt + i] as number
		if (i === 6) byte = (byte & 0x0f) | 0x40 // version 4
		else if (i === 8) byte = (byte & 0x3f) | 0x80 // variant 10xx
		if (i === 4 || i === 6 || i === 8 || i === 10) idText[at++] = 0x2d // "-"
		idText[at++] = HEX_DIGITS.charCodeAt(byte >> 4)
		idText[at++] = HEX_DIGITS.charCodeAt(byte & 0x0f)
	}
	randomAt += 16
	return idText.toString("latin1", 0, 36)
}
