// Public types of `zastro-websockets-node/connection-manager`.

import type { ServerWebSocket } from "../shared/server-websocket.js"
import type {
	BroadcastData,
	ClusterStats,
	BroadcastOptions,
	ConnectionCriteria,
	ConnectionManagerConfig,
	ConnectionManagerConfigUpdate,
	ConnectionManagerEvent,
	ConnectionManagerListener,
	ConnectionManagerStats,
	ConnectionStats,
	HealthCheckResult,
	ManagedConnection,
	RejectedConnection,
	ResolvedConnectionManagerConfig,
	ShutdownOptions,
	ShutdownResult,
} from "./connection-types.js"

export type * from "./connection-types.js"

/**
 * Tracks every WebSocket connection of the process, enforces the limits of
 * its configuration when a handshake arrives (before any route runs),
 * closes idle connections, pings for health and shuts down gracefully.
 * There is one per process: get it with `getConnectionManager()`.
 */
export declare class ConnectionManager {
	private constructor()

	/** Whether `getConnectionManager()` or the adapter's `websocket.connections` switched it on. */
	readonly active: boolean
	/** Whether `shutdown()` started (or SIGTERM/SIGINT arrived): new handshakes get 503. */
	readonly isShuttingDown: boolean

	/** Merges options into the configuration; `null` resets a member to its default. */
	updateConfig(options: ConnectionManagerConfigUpdate): this
	/** The configuration with defaults applied. */
	getConfig(): ResolvedConnectionManagerConfig

	on<E extends ConnectionManagerEvent>(event: E, listener: ConnectionManagerListener<E>): this
	once<E extends ConnectionManagerEvent>(event: E, listener: ConnectionManagerListener<E>): this
	off<E extends ConnectionManagerEvent>(event: E, listener: ConnectionManagerListener<E>): this
	addListener<E extends ConnectionManagerEvent>(event: E, listener: ConnectionManagerListener<E>): this
	removeListener<E extends ConnectionManagerEvent>(event: E, listener: ConnectionManagerListener<E>): this
	removeAllListeners(event?: ConnectionManagerEvent): this
	listenerCount(event: ConnectionManagerEvent): number

	/**
	 * The id of the connection behind a route's socket: available right after
	 * `upgradeWebSocket()`, so tags and data can be set before `open`.
	 */
	getConnectionId(socket: ServerWebSocket): string | undefined
	/** An open connection by id. */
	getManagedConnection(id: string): ManagedConnection | undefined
	/** Every open connection. */
	getAllManagedConnections(): ManagedConnection[]
	getConnectionsByTag(tag: string): ManagedConnection[]
	getConnectionsByIP(ip: string): ManagedConnection[]
	/** Open connections to a path ("/api/chat"). */
	getConnectionsByRoute(route: string): ManagedConnection[]

	/** Adds a tag; false when there is no such connection. */
	addConnectionTag(id: string, tag: string): boolean
	/** Removes a tag; false when the connection or the tag was not there. */
	removeConnectionTag(id: string, tag: string): boolean
	/** Sets `connection.data[key]`; false when there is no such connection. */
	setConnectionData(id: string, key: string, value: unknown): boolean
	/** All data of a connection. */
	getConnectionData(id: string): Record<string, unknown> | undefined
	/** One value of a connection's data; the type parameter is not checked. */
	getConnectionData<T = unknown>(id: string, key: string): T | undefined

	/** Whether a handshake from `ip` would be let through now; nothing is recorded. */
	canAcceptConnection(ip: string): {
		allowed: boolean
		reason?: RejectedConnection["reason"]
		status?: 503 | 429
		retryAfter?: number
	}

	/**
	 * Sends `data` to every open connection (or those `options` select);
	 * returns how many of this instance's connections got it. With the
	 * `cluster` option, every other instance sends it to its own matching
	 * connections too.
	 */
	broadcast(data: BroadcastData, options?: BroadcastOptions): number
	/** Sends `data` to the open connections with `tag` (on every instance with `cluster`); returns how many here got it. */
	broadcastToTag(tag: string, data: BroadcastData, options?: Omit<BroadcastOptions, "tag" | "tags">): number

	/**
	 * Closes one connection with `code` (default 1000; 1001 and the other
	 * codes a server may send are accepted). False when it is not open.
	 */
	closeConnection(id: string, code?: number, reason?: string): boolean
	/**
	 * Closes the open connections that match every given condition; returns
	 * how many here. With the `cluster` option, every instance closes its
	 * matching connections, unless `criteria.filter` is given (a function
	 * stays in this instance).
	 */
	closeConnections(criteria?: ConnectionCriteria, code?: number, reason?: string): number
	/** Forgets connections whose socket closed unnoticed; returns how many (normally 0). */
	cleanupStaleConnections(): number

	/**
	 * Pings a connection and waits up to `timeout` ms (default
	 * `healthCheckTimeout`) for the pong. Emits `connection:health`; never
	 * closes the connection (health monitoring does).
	 */
	performHealthCheck(id: string, timeout?: number): Promise<HealthCheckResult>
	/** Health checks of every open connection, by id. */
	healthCheck(timeout?: number): Promise<Record<string, HealthCheckResult>>

	/** Pool, rate-limit and health figures. */
	getStats(): ConnectionManagerStats
	/** Traffic of every connection (the same as `WebSocketStats.getConnectionStats()`). */
	getConnectionStats(): ConnectionStats
	/** The route's sockets of the open connections. */
	getActiveConnections(): Set<ServerWebSocket>

	/** Live instances and their connections, from Redis (the `cluster` option). */
	getClusterStats(): Promise<ClusterStats>
	/**
	 * Resolves once the cluster backend reached Redis; rejects without the
	 * `cluster` option, when the backend cannot start (ioredis missing) or
	 * after `timeout` ms (default 10000).
	 */
	clusterReady(timeout?: number): Promise<void>

	/**
	 * Refuses new handshakes (503), closes every connection with `closeCode`
	 * (1001), waits up to `timeout` ms for them to close and terminates the
	 * rest. Later calls return the first call's result; the manager stays
	 * shut down.
	 */
	shutdown(options?: ShutdownOptions): Promise<ShutdownResult>
}

/**
 * The process's connection manager. Each call switches it on (limits,
 * idle sweeps, health monitoring, graceful shutdown on SIGTERM/SIGINT) and
 * merges `options` into its configuration. Every copy of the package in the
 * process (the server build's and node_modules') gets the same manager.
 */
export declare function getConnectionManager(options?: ConnectionManagerConfig | null): ConnectionManager

/** The id of the connection behind a route's socket, or undefined. */
export declare function getConnectionId(socket: ServerWebSocket): string | undefined

/** Shortcuts to the process's manager; only `getInstance()` switches it on. */
export declare const ConnectionManagerAPI: {
	getInstance(): ConnectionManager
	getStats(): ConnectionManagerStats
	healthCheck(): Promise<Record<string, HealthCheckResult>>
	closeConnections(criteria?: ConnectionCriteria, code?: number, reason?: string): number
	shutdown(options?: ShutdownOptions): Promise<ShutdownResult>
}
