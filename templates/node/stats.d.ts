// Public types of `zastro-websockets-node/stats`.

import type { ServerWebSocket } from "../shared/server-websocket.js"
import type { ConnectionStats, ShutdownOptions, ShutdownResult } from "./connection-types.js"

export type { ConnectionStats, ConnectionSummary, RouteStats } from "./connection-types.js"

/**
 * Statistics of every WebSocket of the process: open and total connections,
 * messages and payload bytes in and out, per path. Counting is always on;
 * reading never switches the connection manager on.
 */
export declare const WebSocketStats: {
	/** Open connections. */
	getConnectionCount(): number
	getConnectionStats(): ConnectionStats
	/** The route's sockets of the open connections. */
	getActiveConnections(): Set<ServerWebSocket>
	/** Closes every open connection (default code 1000); returns how many. */
	closeAllConnections(code?: number, reason?: string): number
	/** Forgets connections whose socket closed unnoticed; returns how many (normally 0). */
	cleanupStaleConnections(): number
	/** Closes every connection with 1001 and refuses new ones, as `ConnectionManagerAPI.shutdown()`. */
	shutdown(options?: ShutdownOptions): Promise<ShutdownResult>
	/** Whether a shutdown started. */
	readonly isShutDown: boolean
}

/** The same as `WebSocketStats.getConnectionStats()`. */
export declare function getConnectionStats(): ConnectionStats

/** Prints a three-line summary of the statistics to the console. */
export declare function logConnectionStats(): void
