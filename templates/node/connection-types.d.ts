// Public types of connection management: the connection record, the
// manager's options, events and results, and the traffic statistics. Shared
// by connection-manager.d.ts, stats.d.ts, env.d.ts and the runtime itself.
// Neither lib.dom nor Node's types are needed.

import type { ServerWebSocket } from "../shared/server-websocket.js"

/** What the connection manager enforces and runs. Every member is optional. */
export interface ConnectionLimits {
	/**
	 * Most WebSocket connections open at once, in this process (handshakes
	 * in progress count). Further handshakes get `503 Service Unavailable`
	 * before any route runs, and `pool:full` is emitted.
	 * @default Infinity (no limit)
	 */
	maxConnections?: number
	/**
	 * Most connections open at once from one client IP address. Further
	 * handshakes from that address get 503 and `pool:full` is emitted.
	 * @default Infinity (no limit)
	 */
	maxConnectionsPerIP?: number
	/**
	 * Milliseconds without a message in either direction after which a
	 * connection is closed with code 1001 ("Idle timeout"). 0 disables.
	 * @default 0
	 */
	idleTimeout?: number
	/**
	 * The window of the connection rate limit, in milliseconds.
	 * @default 60000
	 */
	rateLimitWindow?: number
	/**
	 * Most new connections (handshakes that reach a route) per client IP
	 * address within `rateLimitWindow`. Further handshakes get
	 * `429 Too Many Requests` with `Retry-After` (seconds until a slot frees
	 * up), and `ratelimit:exceeded` is emitted.
	 * @default Infinity (no limit)
	 */
	rateLimitMaxConnections?: number
	/**
	 * Pings every open connection each `healthCheckInterval`; a connection
	 * that does not answer within `healthCheckTimeout` is terminated (the
	 * route's socket sees close code 1006). Browsers answer pings on their own.
	 * @default false
	 */
	enableHealthMonitoring?: boolean
	/**
	 * Milliseconds between two health checks of a connection.
	 * @default 30000
	 */
	healthCheckInterval?: number
	/**
	 * Milliseconds a connection has to answer a ping.
	 * @default 10000
	 */
	healthCheckTimeout?: number
	/**
	 * Milliseconds between two sweeps for idle connections and
	 * `customCleanupPolicy`.
	 * @default a quarter of `idleTimeout`, between 250 and 60000
	 */
	cleanupInterval?: number
	/**
	 * `false` turns the connection limits (`maxConnections`,
	 * `maxConnectionsPerIP`) off without removing them.
	 * @default true
	 */
	enablePooling?: boolean
	/**
	 * `false` turns the rate limit off without removing it.
	 * @default true
	 */
	enableRateLimit?: boolean
	/**
	 * Close every connection with code 1001 on SIGTERM and SIGINT, wait up to
	 * `shutdownTimeout` for them to close, then let the signal end the process
	 * as it would have without the manager. When the application has SIGTERM
	 * or SIGINT listeners of its own, those decide when the process exits.
	 * @default true
	 */
	handleSignals?: boolean
	/**
	 * Milliseconds a shutdown on SIGTERM or SIGINT waits for connections to
	 * close before it terminates the rest.
	 * @default 10000
	 */
	shutdownTimeout?: number
	/**
	 * Take the client address from the last entry of `X-Forwarded-For`, as
	 * written by one reverse proxy in front of the server. Leave it off when
	 * clients connect directly: they could otherwise pick their own address.
	 * @default false
	 */
	trustProxy?: boolean
}

/** Options of `getConnectionManager()`. */
export interface ConnectionManagerConfig extends ConnectionLimits {
	/**
	 * Called for each open connection on every cleanup sweep; returning
	 * `true` closes it with code 1000 ("Cleanup policy"). A throw is logged
	 * and counts as `false`.
	 */
	customCleanupPolicy?: (connection: ManagedConnection) => boolean
	/**
	 * Joins the instances of the app through Redis: broadcasts and
	 * `closeConnections()` reach every instance, `maxConnectionsPerIP` and the
	 * rate limit count across instances, `getClusterStats()` sees them all.
	 * Needs the `ioredis` package (an optional peer dependency).
	 */
	cluster?: ClusterOptions
}

/**
 * The part of an ioredis client the cluster backend uses: pass your own
 * `new Redis(...)` as `cluster.redis` to share its connection settings
 * (it is duplicated once for the subscription and never closed by the manager).
 */
export interface ClusterRedisClient {
	readonly status: string
	duplicate(...args: never[]): unknown
	publish(channel: string, message: string): Promise<unknown>
}

/** Options of the Redis cluster backend. */
export interface ClusterOptions {
	/** A `redis://` or `rediss://` URL, or an ioredis client. */
	redis: string | ClusterRedisClient
	/**
	 * The app's pub/sub channel, also the prefix of its keys: instances with
	 * the same channel form one cluster.
	 * @default "zastro-ws"
	 */
	channel?: string
	/**
	 * Milliseconds between two heartbeats of an instance.
	 * @default 5000
	 */
	heartbeatInterval?: number
	/**
	 * Milliseconds after its last heartbeat when an instance that stopped
	 * answering (crashed, killed) drops out of the statistics and its
	 * connections stop counting against the per-IP limit.
	 * @default 3 * heartbeatInterval
	 */
	heartbeatTimeout?: number
	/**
	 * Milliseconds a handshake waits for Redis to judge the cluster-wide
	 * limits; later, this instance's own counts decide.
	 * @default 1000
	 */
	timeout?: number
}

/** One instance of the cluster, from its last heartbeat (this instance: now). */
export interface ClusterInstanceStats {
	/** `hostname:pid:random`. */
	readonly id: string
	/** Its open WebSocket connections. */
	readonly connections: number
	readonly pid: number
	readonly hostname: string
	/** Milliseconds since the epoch. */
	readonly startedAt: number
	readonly lastHeartbeat: number
	/** Whether it is the instance that answered. */
	readonly self: boolean
}

/** What `getClusterStats()` returns. */
export interface ClusterStats {
	/** Whether the `cluster` option is set. */
	readonly enabled: boolean
	/** Whether Redis answered: otherwise `instances` holds only this instance. */
	readonly connected: boolean
	/** This instance's id, when the cluster option is set. */
	readonly instanceId: string | undefined
	/** Live instances (those whose heartbeat has not expired), sorted by id. */
	readonly instances: ClusterInstanceStats[]
	readonly instancesAlive: number
	/** Open connections of all live instances. */
	readonly totalConnections: number
	/** Broadcasts and closes that could not reach the other instances because Redis was away. */
	readonly droppedMessages: number
}

/** What `updateConfig()` takes: `null` resets a member to its default. */
export type ConnectionManagerConfigUpdate = {
	[K in keyof ConnectionManagerConfig]?: ConnectionManagerConfig[K] | null
}

/** The manager's options with their defaults applied. */
export interface ResolvedConnectionManagerConfig extends Required<ConnectionLimits> {
	customCleanupPolicy: ((connection: ManagedConnection) => boolean) | undefined
	cluster: ClusterOptions | undefined
}

export type ConnectionState = "CONNECTING" | "OPEN" | "CLOSING" | "CLOSED"

export type HealthStatus = "unknown" | "healthy" | "unhealthy"

/** One WebSocket connection, as the manager tracks it. */
export interface ManagedConnection {
	/** Unique id (a random UUID). */
	readonly id: string
	/** Client IP address (IPv4-mapped IPv6 addresses are written as IPv4). */
	readonly ip: string
	/** The same as `ip`. */
	readonly remoteAddress: string
	/** The handshake's `User-Agent`, or "". */
	readonly userAgent: string
	/** Path of the handshake request, without the query: "/api/chat". */
	readonly route: string
	/** The `ws:` or `wss:` URL the client connected to. */
	readonly url: string
	/** Milliseconds since the epoch when the handshake arrived. */
	readonly createdAt: number
	/**
	 * Milliseconds since the epoch of the last message in either direction (at
	 * first, `createdAt`). A message sent from the handler of a received one is
	 * noted at the time that one was received.
	 */
	readonly lastActivity: number
	/** Milliseconds since `createdAt`. */
	readonly age: number
	/** Milliseconds since `lastActivity`. */
	readonly idleTime: number
	readonly state: ConnectionState
	/** The route's socket. */
	readonly socket: ServerWebSocket
	/** Free-form labels: add and remove them here or with the manager's methods. */
	readonly tags: Set<string>
	/** Free-form values, see `setConnectionData`. */
	readonly data: Record<string, unknown>
	readonly messagesIn: number
	readonly messagesOut: number
	/** Payload bytes received. */
	readonly bytesIn: number
	/** Payload bytes sent. */
	readonly bytesOut: number
	/** Result of the last health check. */
	readonly healthStatus: HealthStatus
	/** Round-trip time of the last answered ping, in milliseconds. */
	readonly latency: number | undefined
	/** Close code and reason, once closed. */
	readonly closeCode: number | undefined
	readonly closeReason: string | undefined
}

/** Why a connection left the manager. */
export type RemovalReason =
	/** The client or the route closed it, or the network dropped it. */
	| "closed"
	/** `idleTimeout` passed without a message. */
	| "idle"
	/** It did not answer a health-check ping in time. */
	| "unhealthy"
	/** `customCleanupPolicy` returned true. */
	| "policy"
	/** `closeConnection()`, `closeConnections()` or `closeAllConnections()`. */
	| "manual"
	/** `shutdown()`, or SIGTERM/SIGINT. */
	| "shutdown"

/** A handshake refused by a limit, before any route ran. */
export interface RejectedConnection {
	readonly ip: string
	readonly userAgent: string
	readonly route: string
	/** What refused it. */
	readonly reason: "maxConnections" | "maxConnectionsPerIP" | "rateLimit" | "shutdown"
	/** The HTTP status the client got: 503 or 429. */
	readonly status: 503 | 429
	/** Seconds sent in `Retry-After`, when one was sent. */
	readonly retryAfter: number | undefined
}

export interface HealthCheckResult {
	readonly healthy: boolean
	/** Round-trip time of the ping, in milliseconds, when it was answered. */
	readonly latency?: number
	/** Why the check failed. */
	readonly error?: string
}

/** Which connections `closeConnections` closes: all given conditions must hold. `{}` matches every connection. */
export interface ConnectionCriteria {
	/** Idle (no message either way) for more than this many milliseconds. */
	idleMoreThan?: number
	/** Open for more than this many milliseconds. */
	olderThan?: number
	/** Having at least one of these tags. */
	tags?: readonly string[]
	/** From this IP address. */
	ip?: string
	/** Connected to this path. */
	route?: string
	/** One of these connection ids. */
	ids?: readonly string[]
	/** Whose last health check failed. */
	unhealthy?: boolean
	/** Any other condition. */
	filter?: (connection: ManagedConnection) => boolean
}

/** Which connections a broadcast reaches. */
export interface BroadcastOptions {
	/** Only connections with this tag. */
	tag?: string
	/** Only connections with at least one of these tags. */
	tags?: readonly string[]
	/** Only connections to this path. */
	route?: string
	/** Leave out this connection (its id or its socket), typically the sender. */
	except?: string | ServerWebSocket
}

export interface ShutdownOptions {
	/**
	 * Milliseconds to wait for connections to close; the rest are then terminated.
	 * @default shutdownTimeout of the configuration (10000)
	 */
	timeout?: number
	/** @default 1001 */
	closeCode?: number
	/** @default "Server shutting down" */
	closeReason?: string
}

export interface ShutdownResult {
	/** Connections that closed within the timeout. */
	readonly closed: number
	/** Connections terminated after the timeout. */
	readonly terminated: number
}

/** `getStats()` of the manager. */
export interface ConnectionManagerStats {
	/** Open connections. */
	readonly totalManagedConnections: number
	/** Handshakes admitted that have not opened yet. */
	readonly pendingConnections: number
	/** Open connections per client IP address. */
	readonly connectionsByIP: Record<string, number>
	/** Open connections per path. */
	readonly connectionsByRoute: Record<string, number>
	/** IP addresses with connection attempts inside the current rate-limit window. */
	readonly rateLimitBuckets: number
	readonly healthStats: { readonly healthy: number; readonly unhealthy: number; readonly unknown: number }
	readonly poolStats: {
		readonly maxConnections: number
		readonly maxConnectionsPerIP: number
		/** Open and pending connections over `maxConnections` (0 without a limit). */
		readonly utilization: number
	}
	/** Handshakes refused since the process started, by reason. */
	readonly rejected: {
		readonly maxConnections: number
		readonly maxConnectionsPerIP: number
		readonly rateLimit: number
		readonly shutdown: number
	}
	/** Whether `getConnectionManager()` or the adapter's `websocket.connections` switched the manager on. */
	readonly active: boolean
	readonly shuttingDown: boolean
}

/** Listener arguments of each event of the manager. */
export interface ConnectionManagerEventMap {
	/** A connection opened. */
	"connection:added": [connection: ManagedConnection]
	/** A connection closed; `reason` tells who closed it. */
	"connection:removed": [connectionId: string, reason: RemovalReason, connection: ManagedConnection]
	/** A health check finished. */
	"connection:health": [connectionId: string, result: HealthCheckResult]
	/** A handshake was refused with 503 by `maxConnections`, `maxConnectionsPerIP` or a shutdown. */
	"pool:full": [rejected: RejectedConnection]
	/** A handshake was refused with 429 by the rate limit. */
	"ratelimit:exceeded": [ip: string, attempts: number, rejected: RejectedConnection]
	/** A cleanup sweep closed connections (idle or by policy). */
	"cleanup:completed": [removedCount: number]
	/** The cluster backend is connected to Redis (at start and after every outage). */
	"cluster:up": [instanceId: string]
	/** Redis is not reachable (or the backend cannot start): this instance runs alone and keeps reconnecting. */
	"cluster:down": [error: Error | undefined]
}

export type ConnectionManagerEvent = keyof ConnectionManagerEventMap

export type ConnectionManagerListener<E extends ConnectionManagerEvent> = (...args: ConnectionManagerEventMap[E]) => void

/** What `send` accepts. */
export type BroadcastData = Parameters<ServerWebSocket["send"]>[0]

/** Traffic of one path. */
export interface RouteStats {
	/** Open connections. */
	readonly active: number
	/** Connections opened since the process started. */
	readonly total: number
	readonly messagesIn: number
	readonly messagesOut: number
	readonly bytesIn: number
	readonly bytesOut: number
}

/** One open connection in `getConnectionStats().connections`. */
export interface ConnectionSummary {
	readonly id: string
	readonly route: string
	/** Milliseconds open. */
	readonly age: number
	/** Milliseconds since the last message. */
	readonly idleTime: number
	readonly state: ConnectionState
	readonly remoteAddress: string
	readonly userAgent: string
	readonly tags: string[]
	readonly messagesIn: number
	readonly messagesOut: number
	readonly bytesIn: number
	readonly bytesOut: number
}

/** `WebSocketStats.getConnectionStats()`: every WebSocket of this process, whether or not the manager is on. */
export interface ConnectionStats {
	/** Open connections. */
	readonly totalConnections: number
	/** The same as `totalConnections`. */
	readonly activeConnections: number
	/** Connections opened since the process started. */
	readonly totalConnectionsEver: number
	/** Connections closed since the process started. */
	readonly totalConnectionsClosed: number
	/** Messages received from clients since the process started. */
	readonly messagesIn: number
	/** Messages sent to clients since the process started. */
	readonly messagesOut: number
	/** Payload bytes received since the process started. */
	readonly bytesIn: number
	/** Payload bytes sent since the process started. */
	readonly bytesOut: number
	/** Average age of the open connections, in milliseconds. */
	readonly averageAge: number
	/** Average idle time of the open connections, in milliseconds. */
	readonly averageIdleTime: number
	readonly connectionsByState: Readonly<Record<ConnectionState, number>>
	/**
	 * Per path. At most 1000 paths are kept; connections to further paths
	 * are counted under "(other)".
	 */
	readonly routes: Record<string, RouteStats>
	readonly connections: ConnectionSummary[]
}
