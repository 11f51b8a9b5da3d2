// The hand-written declarations of the public entries must describe the
// implementation: each runtime export is assigned to its declared type.
import type * as declaredManager from "zastro-websockets-node/connection-manager"
import type * as declaredStats from "zastro-websockets-node/stats"
import * as manager from "../../node/connection-manager.js"
import * as stats from "../../node/stats.js"

export const checks = {
	getConnectionManager: manager.getConnectionManager satisfies typeof declaredManager.getConnectionManager,
	getConnectionId: manager.getConnectionId satisfies typeof declaredManager.getConnectionId,
	ConnectionManagerAPI: manager.ConnectionManagerAPI satisfies typeof declaredManager.ConnectionManagerAPI,
	instance: manager.getConnectionManager() satisfies declaredManager.ConnectionManager,
	WebSocketStats: stats.WebSocketStats satisfies typeof declaredStats.WebSocketStats,
	getConnectionStats: stats.getConnectionStats satisfies typeof declaredStats.getConnectionStats,
	logConnectionStats: stats.logConnectionStats satisfies typeof declaredStats.logConnectionStats,
}

// Nothing the implementation exports is left undeclared (internal helpers are listed here).
type Internal = "processConnectionManager" | "clientOf"
type Undeclared<Impl, Declared> = Exclude<keyof Impl, keyof Declared | Internal>
export const complete: [Undeclared<typeof manager, typeof declaredManager>, Undeclared<typeof stats, typeof declaredStats>] extends [never, never]
	? true
	: never = true
