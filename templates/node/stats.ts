// Traffic statistics of every WebSocket of the process. Public entry:
// `zastro-websockets-node/stats` (types in stats.d.ts). Reading statistics
// never switches the connection manager on.

import type { ServerWebSocket } from "../shared/server-websocket.js"
import type { ConnectionStats, ShutdownOptions, ShutdownResult } from "./connection-types.js"
import { processConnectionManager } from "./connection-manager.js"

export const WebSocketStats = {
	/** Open connections. */
	getConnectionCount(): number {
		return processConnectionManager().getConnectionStats().totalConnections
	},
	getConnectionStats(): ConnectionStats {
		return processConnectionManager().getConnectionStats()
	},
	/** The route's sockets of the open connections. */
	getActiveConnections(): Set<ServerWebSocket> {
		return processConnectionManager().getActiveConnections()
	},
	/** Closes every open connection; returns how many. */
	closeAllConnections(code = 1000, reason = ""): number {
		return processConnectionManager().closeConnections({}, code, reason)
	},
	cleanupStaleConnections(): number {
		return processConnectionManager().cleanupStaleConnections()
	},
	/** Closes every connection with 1001 and refuses new ones; see ConnectionManager.shutdown. */
	shutdown(options?: ShutdownOptions): Promise<ShutdownResult> {
		return processConnectionManager().shutdown(options)
	},
	get isShutDown(): boolean {
		return processConnectionManager().isShuttingDown
	},
}

/** The statistics of all connections, as `WebSocketStats.getConnectionStats()`. */
export function getConnectionStats(): ConnectionStats {
	return WebSocketStats.getConnectionStats()
}

/** Prints a three-line summary to the console. */
export function logConnectionStats(): void {
	const stats = WebSocketStats.getConnectionStats()
	const seconds = (ms: number) => `${Math.round(ms / 1000)}s`
	console.log(
		`[WebSocket Stats] Active: ${stats.totalConnections}, Total: ${stats.totalConnectionsEver}, Closed: ${stats.totalConnectionsClosed}`,
	)
	console.log(
		`[WebSocket Stats] Messages in/out: ${stats.messagesIn}/${stats.messagesOut}, Bytes in/out: ${stats.bytesIn}/${stats.bytesOut}`,
	)
	console.log(`[WebSocket Stats] Avg Age: ${seconds(stats.averageAge)}, Avg Idle: ${seconds(stats.averageIdleTime)}`)
}
