// Connection management: one manager per process tracks every WebSocket the
// runtime opens, enforces the connection limits and the rate limit before a
// route runs, sweeps idle connections, pings for health, and shuts down
// gracefully on SIGTERM and SIGINT. Public entry:
// `zastro-websockets-node/connection-manager` (types in connection-manager.d.ts).

import { EventEmitter } from "node:events"
import type { IncomingMessage } from "node:http"
import type { WebSocket } from "ws"
import { logError, logWarning } from "../shared/log.js"
import type { ServerWebSocket } from "../shared/server-websocket.js"
import { ClusterLink, type ClusterMessage, type ResolvedClusterOptions, resolveClusterOptions, sameCluster } from "./cluster.js"
import { type ClientInfo, Connection } from "./connection.js"
import type {
	BroadcastData,
	BroadcastOptions,
	ClusterStats,
	ConnectionCriteria,
	ConnectionManagerConfig,
	ConnectionManagerConfigUpdate,
	ConnectionManagerEvent,
	ConnectionManagerEventMap,
	ConnectionManagerStats,
	ConnectionState,
	ConnectionStats,
	ConnectionSummary,
	HealthCheckResult,
	ManagedConnection,
	RejectedConnection,
	ResolvedConnectionManagerConfig,
	RouteStats,
	ShutdownOptions,
	ShutdownResult,
} from "./connection-types.js"
import { SlidingWindow } from "./rate-limit.js"

// On globalThis so that every copy of the runtime in the process (bundled into
// the server build, imported from node_modules, loaded by Vite in dev) shares
// one manager.
const MANAGER = Symbol.for("zastro.websocket.connection-manager")
const INTERNAL = Symbol("zastro.connection-manager")
const SIGNALS = ["SIGTERM", "SIGINT"] as const
/** Routes kept apart in the statistics; further ones are counted together. */
const MAX_ROUTES = 1000
const OTHER_ROUTES = "(other)"
const LONGEST_TIMER = 2_147_483_647
/** How long shutdown() waits for terminated sockets to report their close. */
const TERMINATE_GRACE = 1_000

const DEFAULTS: ResolvedConnectionManagerConfig = {
	maxConnections: Infinity,
	maxConnectionsPerIP: Infinity,
	idleTimeout: 0,
	rateLimitWindow: 60_000,
	rateLimitMaxConnections: Infinity,
	enableHealthMonitoring: false,
	healthCheckInterval: 30_000,
	healthCheckTimeout: 10_000,
	cleanupInterval: 60_000,
	enablePooling: true,
	enableRateLimit: true,
	handleSignals: true,
	shutdownTimeout: 10_000,
	trustProxy: false,
	customCleanupPolicy: undefined,
	cluster: undefined,
}

type Check = "limit" | "window" | "interval" | "duration" | "boolean"
const CHECKS: Record<Exclude<keyof ConnectionManagerConfig, "customCleanupPolicy" | "cluster">, Check> = {
	maxConnections: "limit",
	maxConnectionsPerIP: "limit",
	rateLimitMaxConnections: "limit",
	idleTimeout: "duration",
	rateLimitWindow: "window",
	healthCheckInterval: "interval",
	healthCheckTimeout: "interval",
	cleanupInterval: "interval",
	shutdownTimeout: "duration",
	enableHealthMonitoring: "boolean",
	enablePooling: "boolean",
	enableRateLimit: "boolean",
	handleSignals: "boolean",
	trustProxy: "boolean",
}

/** A handshake let through to its route: it becomes a connection or is released. */
export interface Admission {
	/** `upgradeWebSocket()` made the route's socket (shared/websocket.ts, seen through its public interface). */
	bind(socket: object): void
	/** ws completed the handshake; returns what counts the traffic. */
	open(ws: WebSocket): TrafficMeter
	/** The handshake failed or went elsewhere. */
	release(): void
}

export interface TrafficMeter {
	/** A message came in; returns the time noted for it (ms since the epoch). */
	received(bytes: number): number
	/** A message went out at `time`, if the caller knows it (a send from a received message's handler). */
	sent(bytes: number, time?: number): void
	/** The connection closed; called before the route's socket hears of it. */
	ended(code: number, reason: string): void
}

export type AdmissionResult =
	| { readonly ok: true; readonly admission: Admission }
	| { readonly ok: false; readonly status: number; readonly message: string; readonly headers: Record<string, string> }

export interface Traffic {
	messagesIn: number
	messagesOut: number
	bytesIn: number
	bytesOut: number
}

export interface RouteCounters extends Traffic {
	active: number
	total: number
}

/** What an AdmissionSlot asks of its manager (set by the manager, which keeps the rest private). */
let slotHooks!: {
	bind(manager: ConnectionManager, connection: Connection, socket: object): void
	open(manager: ConnectionManager, connection: Connection, ws: WebSocket): TrafficMeter
	release(manager: ConnectionManager, connection: Connection): void
}

/** An admitted handshake's slot: one object per handshake rather than three closures. */
class AdmissionSlot implements Admission {
	readonly #manager: ConnectionManager
	readonly #connection: Connection
	#settled = false

	constructor(manager: ConnectionManager, connection: Connection) {
		this.#manager = manager
		this.#connection = connection
	}

	bind(socket: object): void {
		slotHooks.bind(this.#manager, this.#connection, socket)
	}

	open(ws: WebSocket): TrafficMeter {
		this.#settled = true
		return slotHooks.open(this.#manager, this.#connection, ws)
	}

	release(): void {
		if (this.#settled) return
		this.#settled = true
		slotHooks.release(this.#manager, this.#connection)
	}
}

export class ConnectionManager extends EventEmitter {
	#raw: ConnectionManagerConfig = {}
	#config: ResolvedConnectionManagerConfig = { ...DEFAULTS }
	#active = false
	/** Admitted handshakes and open connections. */
	readonly #connections = new Map<string, Connection>()
	readonly #bySocket = new WeakMap<object, Connection>()
	readonly #perIP = new Map<string, number>()
	readonly #attempts = new SlidingWindow()
	readonly #routes = new Map<string, RouteCounters>()
	readonly #totals: Traffic & { opened: number; closed: number } = {
		opened: 0,
		closed: 0,
		messagesIn: 0,
		messagesOut: 0,
		bytesIn: 0,
		bytesOut: 0,
	}
	readonly #rejected = { maxConnections: 0, maxConnectionsPerIP: 0, rateLimit: 0, shutdown: 0 }
	#open = 0
	#sweepTimer: NodeJS.Timeout | undefined
	#sweepEvery = 0
	#healthTimer: NodeJS.Timeout | undefined
	#healthEvery = 0
	#shutdown: Promise<ShutdownResult> | undefined
	#shutdownCode = 1001
	#shutdownReason = "Server shutting down"
	#drained: (() => void) | undefined
	readonly #signalHandlers = new Map<NodeJS.Signals, () => void>()
	#signalled = false
	/** The cluster backend (cluster.ts), while the `cluster` option is set. */
	#cluster: ClusterLink | undefined
	#clusterOptions: ResolvedClusterOptions | undefined
	/** Set while a message of another instance runs: nothing is published back. */
	#relaying = false
	/** Whether the failure of a cluster-wide admission was reported in this outage. */
	#admitFallbackReported = false
	/** One function for every connection, rather than a closure each. */
	readonly #closedHook = (connection: Connection, code: number, reason: string): void => this.#closed(connection, code, reason)

	/** Not constructible: `getConnectionManager()` returns the process's manager. */
	constructor(key?: symbol) {
		if (key !== INTERNAL) {
			throw new TypeError("Illegal constructor: use getConnectionManager() from zastro-websockets-node/connection-manager.")
		}
		super()
	}

	// ------------------------------------------------------------ configuration

	/**
	 * Switches the manager on (timers, signals) and merges `options` into its
	 * configuration; `source` names the options in error messages.
	 */
	activate(options?: ConnectionManagerConfig | null, source = "getConnectionManager()"): this {
		if (options !== undefined && options !== null) this.#merge(options, source)
		this.#active = true
		this.#reschedule()
		return this
	}

	/** Merges options into the configuration; `null` resets a member to its default. */
	updateConfig(options: ConnectionManagerConfigUpdate): this {
		this.#merge(options, "updateConfig()")
		this.#reschedule()
		return this
	}

	getConfig(): ResolvedConnectionManagerConfig {
		return { ...this.#config }
	}

	get active(): boolean {
		return this.#active
	}

	get isShuttingDown(): boolean {
		return this.#shutdown !== undefined
	}

	#merge(options: ConnectionManagerConfigUpdate, source: string): void {
		if (typeof options !== "object" || options === null) {
			throw new TypeError(`${source}: the options must be an object, got ${typeof options}.`)
		}
		const raw: Record<string, unknown> = { ...this.#raw }
		for (const [key, value] of Object.entries(options)) {
			if (value === undefined) continue
			if (key === "cluster") {
				if (value !== null) resolveClusterOptions(source, value)
			} else if (key === "customCleanupPolicy") {
				if (value !== null && typeof value !== "function") {
					throw new TypeError(`${source}: customCleanupPolicy must be a function, got ${typeof value}.`)
				}
			} else if (Object.hasOwn(CHECKS, key)) {
				if (value !== null) checkOption(source, key, CHECKS[key as keyof typeof CHECKS], value)
			} else {
				logWarning(`${source}: unknown connection manager option ${JSON.stringify(key)} was ignored.`)
				continue
			}
			if (value === null) delete raw[key]
			else raw[key] = value
		}
		this.#raw = raw as ConnectionManagerConfig
		this.#config = resolveConfig(this.#raw)
		this.#clusterOptions = this.#raw.cluster ? resolveClusterOptions(source, this.#raw.cluster) : undefined
	}

	/**
	 * Starts, stops or changes the timers and the signal listeners to fit the
	 * configuration. Timers whose period did not change keep running: a route
	 * may call getConnectionManager() on every request.
	 */
	#reschedule(): void {
		this.#syncSignals()
		const running = this.#active && !this.#shutdown
		const config = this.#config
		const sweepEvery = running ? config.cleanupInterval : 0
		if (sweepEvery !== this.#sweepEvery) {
			clearInterval(this.#sweepTimer)
			this.#sweepTimer = sweepEvery > 0 ? setInterval(() => this.#sweep(), sweepEvery).unref() : undefined
			this.#sweepEvery = sweepEvery
		}
		const healthEvery = running && config.enableHealthMonitoring ? config.healthCheckInterval : 0
		if (healthEvery !== this.#healthEvery) {
			clearInterval(this.#healthTimer)
			this.#healthTimer = healthEvery > 0 ? setInterval(() => this.#monitorHealth(), healthEvery).unref() : undefined
			this.#healthEvery = healthEvery
		}
		if (this.#cluster !== undefined || this.#clusterOptions !== undefined) this.#syncCluster(running)
	}

	// ------------------------------------------------------------ admission (runtime)

	/** Judges a WebSocket handshake before any route runs. */
	admit(req: IncomingMessage): AdmissionResult {
		const config = this.#config
		const client = clientOf(req, config.trustProxy)
		if (this.#shutdown) return this.#refuse(client, "shutdown", 503, "The server is shutting down.")
		const now = Date.now()
		const limitRate = config.enableRateLimit && Number.isFinite(config.rateLimitMaxConnections)
		if (limitRate) {
			const wait = this.#attempts.wait(client.ip, now, config.rateLimitWindow, config.rateLimitMaxConnections)
			if (wait > 0) {
				const retryAfter = Math.max(1, Math.ceil(wait / 1000))
				return this.#refuse(client, "rateLimit", 429, "Too many WebSocket connections from this address; retry later.", retryAfter)
			}
		}
		if (config.enablePooling) {
			if (this.#connections.size >= config.maxConnections) {
				return this.#refuse(client, "maxConnections", 503, "Too many WebSocket connections; retry later.")
			}
			if ((this.#perIP.get(client.ip) ?? 0) >= config.maxConnectionsPerIP) {
				return this.#refuse(client, "maxConnectionsPerIP", 503, "Too many WebSocket connections from this address.")
			}
		}
		if (limitRate) this.#attempts.record(client.ip, now, config.rateLimitMaxConnections)
		const connection = new Connection(client, this.#routeKey(client.route))
		this.#connections.set(connection.id, connection)
		this.#perIP.set(client.ip, (this.#perIP.get(client.ip) ?? 0) + 1)
		return { ok: true, admission: this.#admission(connection) }
	}

	/** The slot of an admitted handshake: its socket, its opening, or its release if it never opens. */
	#admission(connection: Connection): Admission {
		return new AdmissionSlot(this, connection)
	}

	static {
		slotHooks = {
			bind: (manager, connection, socket) => {
				connection.bind(socket as ServerWebSocket)
				manager.#bySocket.set(socket, connection)
			},
			open: (manager, connection, ws) => manager.#opened(connection, ws),
			release: (manager, connection) => {
				manager.#forget(connection)
			},
		}
	}

	#refuse(
		client: ClientInfo,
		reason: RejectedConnection["reason"],
		status: 503 | 429,
		message: string,
		retryAfter?: number,
	): AdmissionResult {
		this.#rejected[reason]++
		const rejected: RejectedConnection = { ...client, reason, status, retryAfter }
		if (reason === "rateLimit") {
			const attempts = this.#attempts.count(client.ip, Date.now(), this.#config.rateLimitWindow) + 1
			this.#emit("ratelimit:exceeded", client.ip, attempts, rejected)
		} else {
			this.#emit("pool:full", rejected)
		}
		const headers: Record<string, string> = retryAfter === undefined ? {} : { "Retry-After": String(retryAfter) }
		return { ok: false, status, message, headers }
	}

	#opened(connection: Connection, ws: WebSocket): TrafficMeter {
		connection.attach(ws)
		this.#open++
		this.#totals.opened++
		const route = this.#route(connection.routeKey)
		route.active++
		route.total++
		// The connection counts its traffic into these; the wire reports the
		// close to it before the route's own close handler runs, which then
		// sees the connection gone.
		connection.meter(route, this.#totals, this.#closedHook)
		this.#emit("connection:added", connection)
		if (this.#shutdown) connection.close(this.#shutdownCode, this.#shutdownReason, "shutdown")
		return connection
	}

	#closed(connection: Connection, code: number, reason: string): void {
		connection.closed(code, reason)
		if (!this.#forget(connection)) return
		this.#open--
		this.#totals.closed++
		this.#route(connection.routeKey).active--
		this.#emit("connection:removed", connection.id, connection.removalReason, connection)
		if (this.#open === 0) this.#drained?.()
	}

	/** Removes a connection from the tables; false when it was not there. */
	#forget(connection: Connection): boolean {
		if (!this.#connections.delete(connection.id)) return false
		const count = (this.#perIP.get(connection.ip) ?? 1) - 1
		if (count > 0) this.#perIP.set(connection.ip, count)
		else this.#perIP.delete(connection.ip)
		if (this.#cluster !== undefined) this.#cluster.changed(connection.ip)
		return true
	}

	#routeKey(route: string): string {
		return this.#routes.has(route) || this.#routes.size < MAX_ROUTES ? route : OTHER_ROUTES
	}

	#route(key: string): RouteCounters {
		let counters = this.#routes.get(key)
		if (counters === undefined) {
			counters = { active: 0, total: 0, messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0 }
			this.#routes.set(key, counters)
		}
		return counters
	}

	// ------------------------------------------------------------ connections

	/** The id of the connection of a route's socket (from `upgradeWebSocket()` on). */
	getConnectionId(socket: ServerWebSocket): string | undefined {
		return this.#bySocket.get(socket)?.id
	}

	/** An open connection. */
	getManagedConnection(id: string): ManagedConnection | undefined {
		const connection = this.#connections.get(id)
		return connection?.opened ? connection : undefined
	}

	getAllManagedConnections(): ManagedConnection[] {
		return this.#openConnections()
	}

	getConnectionsByTag(tag: string): ManagedConnection[] {
		return this.#openConnections().filter((connection) => connection.tags.has(tag))
	}

	getConnectionsByIP(ip: string): ManagedConnection[] {
		return this.#openConnections().filter((connection) => connection.ip === ip)
	}

	getConnectionsByRoute(route: string): ManagedConnection[] {
		return this.#openConnections().filter((connection) => connection.route === route)
	}

	addConnectionTag(id: string, tag: string): boolean {
		const connection = this.#connections.get(id)
		if (connection === undefined) return false
		connection.tags.add(tag)
		return true
	}

	removeConnectionTag(id: string, tag: string): boolean {
		return this.#connections.get(id)?.tags.delete(tag) ?? false
	}

	setConnectionData(id: string, key: string, value: unknown): boolean {
		const connection = this.#connections.get(id)
		if (connection === undefined) return false
		connection.data[key] = value
		return true
	}

	getConnectionData(id: string): Record<string, unknown> | undefined
	getConnectionData<T = unknown>(id: string, key: string): T | undefined
	getConnectionData(id: string, key?: string): unknown {
		const connection = this.#connections.get(id)
		if (connection === undefined) return undefined
		return key === undefined ? connection.data : connection.data[key]
	}

	/** Whether a handshake from `ip` would be let through now (nothing is recorded). */
	canAcceptConnection(ip: string): { allowed: boolean; reason?: RejectedConnection["reason"]; status?: 503 | 429; retryAfter?: number } {
		const config = this.#config
		if (this.#shutdown) return { allowed: false, reason: "shutdown", status: 503 }
		if (config.enableRateLimit) {
			const wait = this.#attempts.wait(ip, Date.now(), config.rateLimitWindow, config.rateLimitMaxConnections)
			if (wait > 0) return { allowed: false, reason: "rateLimit", status: 429, retryAfter: Math.max(1, Math.ceil(wait / 1000)) }
		}
		if (config.enablePooling) {
			if (this.#connections.size >= config.maxConnections) return { allowed: false, reason: "maxConnections", status: 503 }
			if ((this.#perIP.get(ip) ?? 0) >= config.maxConnectionsPerIP) {
				return { allowed: false, reason: "maxConnectionsPerIP", status: 503 }
			}
		}
		return { allowed: true }
	}

	/** Sends to every open connection, or those the options select; returns how many. */
	broadcast(data: BroadcastData, options: BroadcastOptions = {}): number {
		let sent = 0
		for (const connection of this.#openConnections()) {
			if (!matchesBroadcast(connection, options)) continue
			const socket = connection.socket
			if (socket.readyState !== 1) continue
			try {
				socket.send(data)
				sent++
			} catch (error) {
				logError(`Broadcasting to connection ${connection.id} failed.`, error)
			}
		}
		if (this.#cluster !== undefined && !this.#relaying) this.#publishBroadcast(this.#cluster, data, options)
		return sent
	}

	broadcastToTag(tag: string, data: BroadcastData, options: Omit<BroadcastOptions, "tag" | "tags"> = {}): number {
		return this.broadcast(data, { ...options, tag })
	}

	/** Closes one connection; false when there is no open connection with that id. */
	closeConnection(id: string, code = 1000, reason = ""): boolean {
		checkCloseCode(code, reason)
		const connection = this.#connections.get(id)
		return connection?.close(code, reason, "manual") ?? false
	}

	/** Closes the open connections that match every given condition; returns how many. */
	closeConnections(criteria: ConnectionCriteria = {}, code = 1000, reason = ""): number {
		checkCloseCode(code, reason)
		let closed = 0
		for (const connection of this.#openConnections()) {
			if (matchesCriteria(connection, criteria) && connection.close(code, reason, "manual")) closed++
		}
		if (this.#cluster !== undefined && !this.#relaying && criteria.filter === undefined) {
			const { filter: _, ...rest } = criteria
			const serializable = { ...rest, tags: rest.tags && [...rest.tags], ids: rest.ids && [...rest.ids] }
			this.#cluster.publish(this.#cluster.closeMessage(serializable, code, reason))
		}
		return closed
	}

	// ------------------------------------------------------------ health

	/** Pings one connection and waits for the pong (or `timeout` ms). Does not close it. */
	async performHealthCheck(id: string, timeout?: number): Promise<HealthCheckResult> {
		const connection = this.#connections.get(id)
		let result: HealthCheckResult
		if (connection === undefined || !connection.opened) {
			result = { healthy: false, error: `No open connection with id ${id}.` }
		} else {
			result = await connection.ping(timeout ?? this.#config.healthCheckTimeout)
		}
		this.#emit("connection:health", id, result)
		return result
	}

	/** Health checks of every open connection, by id. */
	async healthCheck(timeout?: number): Promise<Record<string, HealthCheckResult>> {
		const ids = this.#openConnections().map((connection) => connection.id)
		const results = await Promise.all(ids.map((id) => this.performHealthCheck(id, timeout)))
		return Object.fromEntries(ids.map((id, i) => [id, results[i]]))
	}

	#monitorHealth(): void {
		for (const connection of this.#openConnections()) {
			if (connection.pingInFlight || connection.state !== "OPEN") continue
			void this.performHealthCheck(connection.id).then((result) => {
				if (!result.healthy) connection.terminate("unhealthy")
			})
		}
	}

	#sweep(): void {
		const config = this.#config
		const now = Date.now()
		this.#attempts.sweep(now, config.rateLimitWindow)
		let removed = 0
		for (const connection of this.#openConnections()) {
			if (connection.state !== "OPEN") continue
			if (config.idleTimeout > 0 && now - connection.lastActivity >= config.idleTimeout) {
				if (connection.close(1001, "Idle timeout", "idle")) removed++
				continue
			}
			const policy = config.customCleanupPolicy
			if (policy === undefined) continue
			let close = false
			try {
				close = policy(connection) === true
			} catch (error) {
				logError("customCleanupPolicy threw; the connection was kept.", error)
			}
			if (close && connection.close(1000, "Cleanup policy", "policy")) removed++
		}
		if (removed > 0) this.#emit("cleanup:completed", removed)
	}

	/** Removes connections whose socket closed without being reported; returns how many. */
	cleanupStaleConnections(): number {
		let removed = 0
		for (const connection of [...this.#connections.values()]) {
			if (connection.opened && connection.state === "CLOSED") {
				this.#closed(connection, 1006, "")
				removed++
			}
		}
		return removed
	}

	// ------------------------------------------------------------ statistics

	getStats(): ConnectionManagerStats {
		const connectionsByIP: Record<string, number> = {}
		const connectionsByRoute: Record<string, number> = {}
		const healthStats = { healthy: 0, unhealthy: 0, unknown: 0 }
		for (const connection of this.#openConnections()) {
			connectionsByIP[connection.ip] = (connectionsByIP[connection.ip] ?? 0) + 1
			connectionsByRoute[connection.route] = (connectionsByRoute[connection.route] ?? 0) + 1
			healthStats[connection.healthStatus]++
		}
		const config = this.#config
		return {
			totalManagedConnections: this.#open,
			pendingConnections: this.#connections.size - this.#open,
			connectionsByIP,
			connectionsByRoute,
			rateLimitBuckets: this.#attempts.sweep(Date.now(), config.rateLimitWindow),
			healthStats,
			poolStats: {
				maxConnections: config.maxConnections,
				maxConnectionsPerIP: config.maxConnectionsPerIP,
				utilization: Number.isFinite(config.maxConnections) ? this.#connections.size / config.maxConnections : 0,
			},
			rejected: { ...this.#rejected },
			active: this.#active,
			shuttingDown: this.#shutdown !== undefined,
		}
	}

	/** Traffic of every WebSocket of the process (see `zastro-websockets-node/stats`). */
	getConnectionStats(): ConnectionStats {
		const open = this.#openConnections()
		const now = Date.now()
		const connectionsByState: Record<ConnectionState, number> = { CONNECTING: 0, OPEN: 0, CLOSING: 0, CLOSED: 0 }
		let age = 0
		let idle = 0
		const connections: ConnectionSummary[] = []
		for (const connection of open) {
			const state = connection.state
			connectionsByState[state]++
			age += now - connection.createdAt
			idle += now - connection.lastActivity
			connections.push({
				id: connection.id,
				route: connection.route,
				age: now - connection.createdAt,
				idleTime: now - connection.lastActivity,
				state,
				remoteAddress: connection.ip,
				userAgent: connection.userAgent,
				tags: [...connection.tags],
				messagesIn: connection.messagesIn,
				messagesOut: connection.messagesOut,
				bytesIn: connection.bytesIn,
				bytesOut: connection.bytesOut,
			})
		}
		connectionsByState.CONNECTING += this.#connections.size - this.#open
		const routes: Record<string, RouteStats> = {}
		for (const [route, counters] of this.#routes) routes[route] = { ...counters }
		const totals = this.#totals
		return {
			totalConnections: this.#open,
			activeConnections: this.#open,
			totalConnectionsEver: totals.opened,
			totalConnectionsClosed: totals.closed,
			messagesIn: totals.messagesIn,
			messagesOut: totals.messagesOut,
			bytesIn: totals.bytesIn,
			bytesOut: totals.bytesOut,
			averageAge: open.length === 0 ? 0 : Math.round(age / open.length),
			averageIdleTime: open.length === 0 ? 0 : Math.round(idle / open.length),
			connectionsByState,
			routes,
			connections,
		}
	}

	/** The route's sockets of every open connection. */
	getActiveConnections(): Set<ServerWebSocket> {
		return new Set(this.#openConnections().map((connection) => connection.socket))
	}

	// ------------------------------------------------------------ cluster

	/** Whether the `cluster` option is set: handshakes then go through `admitClustered()`. */
	get clustered(): boolean {
		return this.#cluster !== undefined
	}

	/**
	 * Judges a handshake against the cluster-wide limits (per-IP connections
	 * and the rate limit counted in Redis); `maxConnections` stays per
	 * instance. While Redis is away, or when it does not answer within
	 * `cluster.timeout`, the instance's own counts decide, as `admit()` does.
	 */
	async admitClustered(req: IncomingMessage): Promise<AdmissionResult> {
		const cluster = this.#cluster
		if (cluster === undefined || !cluster.up) return this.admit(req)
		const config = this.#config
		const client = clientOf(req, config.trustProxy)
		if (this.#shutdown) return this.#refuse(client, "shutdown", 503, "The server is shutting down.")
		if (config.enablePooling && this.#connections.size >= config.maxConnections) {
			return this.#refuse(client, "maxConnections", 503, "Too many WebSocket connections; retry later.")
		}
		const limitRate = config.enableRateLimit && Number.isFinite(config.rateLimitMaxConnections)
		const limitIP = config.enablePooling && Number.isFinite(config.maxConnectionsPerIP)
		const connection = new Connection(client, this.#routeKey(client.route))
		let verdict: Awaited<ReturnType<ClusterLink["admit"]>>
		try {
			verdict = await cluster.admit(
				client.ip,
				connection.id,
				limitRate ? config.rateLimitMaxConnections : Infinity,
				config.rateLimitWindow,
				limitIP ? config.maxConnectionsPerIP : Infinity,
			)
		} catch (error) {
			cluster.settled(client.ip)
			if (!this.#admitFallbackReported) {
				this.#admitFallbackReported = true
				logWarning(`The cluster-wide connection limits could not be checked (${(error as Error)?.message}); this instance's own counts decide meanwhile.`)
			}
			return this.admit(req)
		}
		this.#admitFallbackReported = false
		if (verdict.outcome === 1) {
			cluster.settled(client.ip)
			const retryAfter = Math.max(1, Math.ceil(verdict.wait / 1000))
			return this.#refuseClustered(client, "rateLimit", 429, "Too many WebSocket connections from this address; retry later.", verdict.count, retryAfter)
		}
		if (verdict.outcome === 2) {
			cluster.settled(client.ip)
			return this.#refuseClustered(client, "maxConnectionsPerIP", 503, "Too many WebSocket connections from this address.", verdict.count)
		}
		// Other handshakes may have been let through while Redis answered.
		if (this.#shutdown || (config.enablePooling && this.#connections.size >= config.maxConnections)) {
			cluster.settled(client.ip)
			cluster.changed(client.ip)
			return this.#shutdown
				? this.#refuse(client, "shutdown", 503, "The server is shutting down.")
				: this.#refuse(client, "maxConnections", 503, "Too many WebSocket connections; retry later.")
		}
		if (limitRate) this.#attempts.record(client.ip, Date.now(), config.rateLimitMaxConnections)
		this.#connections.set(connection.id, connection)
		this.#perIP.set(client.ip, (this.#perIP.get(client.ip) ?? 0) + 1)
		cluster.settled(client.ip)
		cluster.touched()
		return { ok: true, admission: this.#admission(connection) }
	}

	#refuseClustered(
		client: ClientInfo,
		reason: "rateLimit" | "maxConnectionsPerIP",
		status: 503 | 429,
		message: string,
		count: number,
		retryAfter?: number,
	): AdmissionResult {
		this.#rejected[reason]++
		const rejected: RejectedConnection = { ...client, reason, status, retryAfter }
		if (reason === "rateLimit") this.#emit("ratelimit:exceeded", client.ip, count, rejected)
		else this.#emit("pool:full", rejected)
		const headers: Record<string, string> = retryAfter === undefined ? {} : { "Retry-After": String(retryAfter) }
		return { ok: false, status, message, headers }
	}

	/**
	 * Resolves once the cluster backend is connected to Redis (at once when it
	 * is); rejects when no `cluster` option is set, when the backend cannot
	 * start (the Redis client library is missing), or after `timeout` ms.
	 */
	clusterReady(timeout = 10_000): Promise<void> {
		const cluster = this.#cluster
		if (cluster === undefined) {
			return Promise.reject(new Error("clusterReady(): the connection manager has no cluster option (getConnectionManager({ cluster: { redis } }))."))
		}
		if (cluster.up) return Promise.resolve()
		return new Promise<void>((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error(`clusterReady(): Redis was not reachable within ${timeout} ms.`)), timeout)
			timer.unref()
			cluster.ready().then(
				() => {
					clearTimeout(timer)
					resolve()
				},
				(error: unknown) => {
					clearTimeout(timer)
					reject(error)
				},
			)
		})
	}

	/**
	 * The cluster as the heartbeats in Redis show it: live instances with
	 * their open connections, and the total. Without the `cluster` option, or
	 * while Redis is away, only this instance is seen (`connected: false`).
	 */
	async getClusterStats(): Promise<ClusterStats> {
		const cluster = this.#cluster
		if (cluster === undefined) {
			return {
				enabled: false,
				connected: false,
				instanceId: undefined,
				instances: [],
				instancesAlive: 0,
				totalConnections: this.#open,
				droppedMessages: 0,
			}
		}
		return cluster.stats()
	}

	/** Starts, replaces or stops the cluster backend to fit the options. */
	#syncCluster(running: boolean): void {
		if (this.#shutdown) return // the drain stops it
		const wanted = running ? this.#clusterOptions : undefined
		const current = this.#cluster
		if (current !== undefined && wanted !== undefined && sameCluster(current.options, wanted)) return
		if (current !== undefined) {
			this.#cluster = undefined
			void current.stop()
		}
		if (wanted === undefined) return
		this.#cluster = this.#startCluster(wanted)
	}

	#startCluster(options: ResolvedClusterOptions): ClusterLink {
		const link = new ClusterLink(options, {
			openConnections: () => this.#open,
			connectionsFrom: (ip) => this.#perIP.get(ip) ?? 0,
			addresses: () => this.#perIP.keys(),
			deliver: (message) => this.#deliver(message),
			up: (instanceId) => {
				if (this.#cluster === link) this.#emit("cluster:up", instanceId)
			},
			down: (error) => {
				if (this.#cluster === link) this.#emit("cluster:down", error)
			},
		})
		return link
	}

	/** Runs another instance's broadcast or close on this instance's connections. */
	#deliver(message: ClusterMessage): void {
		this.#relaying = true
		try {
			if (message.kind === "broadcast") {
				const data = message.binary ? new Uint8Array(Buffer.from(message.data, "base64")) : message.data
				this.broadcast(data, { tag: message.tag, tags: message.tags, route: message.route, except: message.except })
			} else if (message.kind === "close") {
				this.closeConnections(message.criteria, message.code, message.reason)
			}
		} finally {
			this.#relaying = false
		}
	}

	#publishBroadcast(cluster: ClusterLink, data: BroadcastData, options: BroadcastOptions): void {
		const except = options.except === undefined || typeof options.except === "string" ? options.except : this.#bySocket.get(options.except)?.id
		const publish = (payload: string | Uint8Array) =>
			cluster.publish(cluster.broadcastMessage(payload, { tag: options.tag, tags: options.tags, route: options.route, except }))
		if (typeof data === "string") return publish(data)
		if (data instanceof ArrayBuffer) return publish(new Uint8Array(data))
		if (ArrayBuffer.isView(data)) return publish(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
		if (typeof Blob !== "undefined" && (data as unknown) instanceof Blob) {
			;(data as Blob).arrayBuffer().then(
				(buffer) => publish(new Uint8Array(buffer)),
				(error: unknown) => logError("Reading a Blob for the other instances failed.", error),
			)
		}
	}

	// ------------------------------------------------------------ shutdown

	/**
	 * Refuses new handshakes (503), closes every connection with `closeCode`,
	 * waits up to `timeout` ms for them to close and terminates the rest.
	 * Later calls return the first call's result.
	 */
	shutdown(options: ShutdownOptions = {}): Promise<ShutdownResult> {
		if (this.#shutdown) return this.#shutdown
		const code = options.closeCode ?? 1001
		const reason = options.closeReason ?? "Server shutting down"
		const timeout = options.timeout ?? this.#config.shutdownTimeout
		checkCloseCode(code, reason)
		if (typeof timeout !== "number" || !(timeout >= 0)) {
			throw new TypeError(`shutdown({ timeout }): must be a number of milliseconds >= 0, got ${String(timeout)}.`)
		}
		this.#shutdownCode = code
		this.#shutdownReason = reason
		this.#shutdown = this.#drain(code, reason, timeout)
		this.#reschedule()
		return this.#shutdown
	}

	async #drain(code: number, reason: string, timeout: number): Promise<ShutdownResult> {
		const open = this.#openConnections()
		for (const connection of open) connection.close(code, reason, "shutdown")
		await this.#allClosed(timeout)
		let terminated = 0
		for (const connection of this.#openConnections()) {
			if (connection.terminate("shutdown")) terminated++
		}
		// Terminated sockets report their close within a few ticks.
		if (terminated > 0) await this.#allClosed(TERMINATE_GRACE)
		// The instance leaves the cluster at once rather than by heartbeat expiry.
		await this.#cluster?.stop()
		this.#cluster = undefined
		return { closed: open.length - terminated, terminated }
	}

	/** Resolves when no connection is open, or after `timeout` ms. */
	async #allClosed(timeout: number): Promise<void> {
		if (this.#open === 0) return
		await new Promise<void>((resolve) => {
			const timer = setTimeout(resolve, Math.min(timeout, LONGEST_TIMER))
			timer.unref()
			this.#drained = () => {
				clearTimeout(timer)
				resolve()
			}
		})
		this.#drained = undefined
	}

	#syncSignals(): void {
		const wanted = this.#active && this.#config.handleSignals && !this.#signalled
		for (const signal of SIGNALS) {
			const handler = this.#signalHandlers.get(signal)
			if (wanted && handler === undefined) {
				const listener = () => this.#onSignal(signal)
				this.#signalHandlers.set(signal, listener)
				// First, so that the 1001 closes are written before other listeners
				// (Vite's in dev, the application's) close servers or exit.
				process.prependListener(signal, listener)
			} else if (!wanted && handler !== undefined && !this.#signalled) {
				process.off(signal, handler)
				this.#signalHandlers.delete(signal)
			}
		}
	}

	#onSignal(signal: NodeJS.Signals): void {
		if (this.#signalled) {
			// A second signal: stop waiting.
			this.#releaseSignal(signal)
			return
		}
		this.#signalled = true
		void this.shutdown({ timeout: this.#config.shutdownTimeout })
			.catch((error: unknown) => logError("The graceful WebSocket shutdown failed.", error))
			.finally(() => this.#releaseSignal(signal))
	}

	/**
	 * Stops listening for signals and, when nobody else listens for this one,
	 * raises it again: the process then ends the way it would have without the
	 * manager. Other listeners (the application's own) decide for themselves.
	 */
	#releaseSignal(signal: NodeJS.Signals): void {
		for (const [name, handler] of this.#signalHandlers) process.off(name, handler)
		this.#signalHandlers.clear()
		if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
	}

	// ------------------------------------------------------------ helpers

	#openConnections(): Connection[] {
		const open: Connection[] = []
		for (const connection of this.#connections.values()) if (connection.opened) open.push(connection)
		return open
	}

	/** Calls listeners so that a throw in one is logged and reaches neither the others nor the server. */
	#emit<E extends ConnectionManagerEvent>(event: E, ...args: ConnectionManagerEventMap[E]): void {
		if (this.listenerCount(event) === 0) return // most events of most handshakes: no copy of an empty list
		for (const listener of this.rawListeners(event)) {
			try {
				;(listener as (...values: unknown[]) => unknown).apply(this, args)
			} catch (error) {
				logError(`A "${event}" listener of the connection manager threw.`, error)
			}
		}
	}
}

/** The process's manager, created on first use; the runtime uses it without switching it on. */
export function processConnectionManager(): ConnectionManager {
	const store = globalThis as Record<symbol, unknown>
	let manager = store[MANAGER] as ConnectionManager | undefined
	if (manager === undefined) {
		manager = new ConnectionManager(INTERNAL)
		store[MANAGER] = manager
	}
	return manager
}

/**
 * The process's connection manager. Each call switches it on (limits, timers,
 * graceful shutdown on SIGTERM/SIGINT) and merges `options` into its
 * configuration; every copy of the package in the process gets the same one.
 */
export function getConnectionManager(options?: ConnectionManagerConfig | null): ConnectionManager {
	return processConnectionManager().activate(options)
}

/** The id of the connection behind a route's socket, or undefined. */
export function getConnectionId(socket: ServerWebSocket): string | undefined {
	return processConnectionManager().getConnectionId(socket)
}

/** Shortcuts to the process's manager; only `getInstance()` switches it on. */
export const ConnectionManagerAPI = {
	getInstance(): ConnectionManager {
		return getConnectionManager()
	},
	getStats(): ConnectionManagerStats {
		return processConnectionManager().getStats()
	},
	healthCheck(): Promise<Record<string, HealthCheckResult>> {
		return processConnectionManager().healthCheck()
	},
	closeConnections(criteria?: ConnectionCriteria, code?: number, reason?: string): number {
		return processConnectionManager().closeConnections(criteria, code, reason)
	},
	shutdown(options?: ShutdownOptions): Promise<ShutdownResult> {
		return processConnectionManager().shutdown(options)
	},
}

function resolveConfig(raw: ConnectionManagerConfig): ResolvedConnectionManagerConfig {
	const config: ResolvedConnectionManagerConfig = { ...DEFAULTS }
	for (const [key, value] of Object.entries(raw)) {
		if (value !== undefined && value !== null) (config as unknown as Record<string, unknown>)[key] = value
	}
	if (raw.cleanupInterval === undefined && config.idleTimeout > 0 && Number.isFinite(config.idleTimeout)) {
		config.cleanupInterval = Math.min(60_000, Math.max(250, Math.round(config.idleTimeout / 4)))
	}
	return config
}

function checkOption(source: string, key: string, check: Check, value: unknown): void {
	const fail = (want: string) => {
		throw new TypeError(`${source}: ${key} must be ${want}, got ${typeof value === "number" ? value : JSON.stringify(value)}.`)
	}
	if (check === "boolean") {
		if (typeof value !== "boolean") fail("true or false")
		return
	}
	if (typeof value !== "number" || Number.isNaN(value)) return fail("a number")
	switch (check) {
		case "limit":
			if (!(value >= 1) || (Number.isFinite(value) && !Number.isInteger(value))) fail("a whole number >= 1, or Infinity")
			break
		case "duration":
			if (!(value >= 0)) fail("a number of milliseconds >= 0")
			break
		case "window":
		case "interval":
			if (!(value > 0) || value > LONGEST_TIMER) fail(`a number of milliseconds between 1 and ${LONGEST_TIMER}`)
			break
	}
}

/** ws refuses to send the reserved codes; say so before anything is closed. */
function checkCloseCode(code: number, reason: string): void {
	const valid =
		Number.isInteger(code) &&
		((code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999))
	if (!valid) throw new RangeError(`Invalid WebSocket close code ${code}: use 1000-1003, 1007-1014 or 3000-4999.`)
	if (Buffer.byteLength(reason) > 123) throw new RangeError("A WebSocket close reason must not be longer than 123 UTF-8 bytes.")
}

function matchesCriteria(connection: Connection, criteria: ConnectionCriteria): boolean {
	const now = Date.now()
	if (criteria.idleMoreThan !== undefined && !(now - connection.lastActivity > criteria.idleMoreThan)) return false
	if (criteria.olderThan !== undefined && !(now - connection.createdAt > criteria.olderThan)) return false
	if (criteria.tags !== undefined && !criteria.tags.some((tag) => connection.tags.has(tag))) return false
	if (criteria.ip !== undefined && connection.ip !== criteria.ip) return false
	if (criteria.route !== undefined && connection.route !== criteria.route) return false
	if (criteria.ids !== undefined && !criteria.ids.includes(connection.id)) return false
	if (criteria.unhealthy !== undefined && (connection.healthStatus === "unhealthy") !== criteria.unhealthy) return false
	if (criteria.filter !== undefined && criteria.filter(connection) !== true) return false
	return true
}

function matchesBroadcast(connection: Connection, options: BroadcastOptions): boolean {
	if (options.tag !== undefined && !connection.tags.has(options.tag)) return false
	if (options.tags !== undefined && !options.tags.some((tag) => connection.tags.has(tag))) return false
	if (options.route !== undefined && connection.route !== options.route) return false
	const except = options.except
	if (except !== undefined && (typeof except === "string" ? connection.id === except : connection.socket === except)) return false
	return true
}

/** The client's address, agent and path, as the limits and the statistics see them. */
export function clientOf(req: IncomingMessage, trustProxy: boolean): ClientInfo {
	let ip = req.socket.remoteAddress ?? ""
	if (trustProxy) {
		const header = req.headers["x-forwarded-for"]
		const hops = (Array.isArray(header) ? header.join(",") : (header ?? "")).split(",")
		const last = hops.map((hop) => hop.trim()).filter((hop) => hop !== "").pop()
		if (last !== undefined) ip = last
	}
	if (ip.startsWith("::ffff:") && ip.includes(".")) ip = ip.slice(7)
	const url = req.url ?? "/"
	const end = url.search(/[?#]/)
	return {
		ip,
		userAgent: req.headers["user-agent"] ?? "",
		route: end === -1 ? url : url.slice(0, end),
	}
}

