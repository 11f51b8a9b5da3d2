// Connection management as a user writes it, against the public types of
// zastro-websockets-node/connection-manager and /stats: no `any` may appear,
// and the lines marked @ts-expect-error must stay errors.
import {
	ConnectionManagerAPI,
	getConnectionId,
	getConnectionManager,
	type ConnectionManager,
	type ConnectionManagerConfig,
	type HealthCheckResult,
	type ManagedConnection,
	type RejectedConnection,
} from "zastro-websockets-node/connection-manager"
import { logConnectionStats, WebSocketStats, type ConnectionStats } from "zastro-websockets-node/stats"
import type { WebSocketOptions } from "../../node/env.js"

type IsAny<T> = 0 extends 1 & T ? true : false
type APIRoute = (context: { locals: App.Locals; url: URL }) => Response | Promise<Response>

const config: ConnectionManagerConfig = {
	maxConnections: 1000,
	maxConnectionsPerIP: 10,
	idleTimeout: 300_000,
	rateLimitWindow: 60_000,
	rateLimitMaxConnections: 5,
	enableHealthMonitoring: true,
	customCleanupPolicy: (connection) => connection.tags.has("temporary") && connection.age > 300_000,
}
export const manager: ConnectionManager = getConnectionManager(config)

manager.on("connection:added", (connection) => console.log(connection.id, connection.ip, connection.userAgent, connection.route))
manager.on("connection:removed", (id, reason, connection) => console.log(id, reason satisfies string, connection.closeCode))
manager.on("connection:health", (id: string, result: HealthCheckResult) => console.log(id, result.healthy, result.error))
manager.on("pool:full", (rejected: RejectedConnection) => console.log(rejected.ip, rejected.reason, rejected.status))
manager.on("ratelimit:exceeded", (ip, attempts, rejected) => console.log(ip, attempts.toFixed(0), rejected.retryAfter))
// @ts-expect-error: a listener of the wrong shape
manager.on("connection:added", (id: number) => id)
// @ts-expect-error: no such event
manager.on("connection:opened", () => {})
// @ts-expect-error: limits are numbers
getConnectionManager({ maxConnections: "10" })

export const GET: APIRoute = ({ locals, url }) => {
	if (!locals.isUpgradeRequest) return new Response("Upgrade required", { status: 426 })
	const { socket, response } = locals.upgradeWebSocket()
	const id = getConnectionId(socket)
	if (id !== undefined) {
		manager.addConnectionTag(id, `room:${url.searchParams.get("room") ?? "lobby"}`)
		manager.setConnectionData(id, "joinedAt", Date.now())
		const joinedAt = manager.getConnectionData<number>(id, "joinedAt")
		const all: Record<string, unknown> | undefined = manager.getConnectionData(id)
		console.log(joinedAt?.toFixed(0), all)
	}
	socket.onmessage = (event) => {
		const sent: number = manager.broadcastToTag("room:lobby", event.data, { except: socket })
		manager.broadcast(`sent to ${sent}`)
	}
	return response
}

export async function admin(): Promise<string> {
	const stats = ConnectionManagerAPI.getStats()
	const noAny: IsAny<typeof stats.connectionsByIP> = false
	const health: Record<string, HealthCheckResult> = await ConnectionManagerAPI.healthCheck()
	const closed: number = ConnectionManagerAPI.closeConnections({ idleMoreThan: 300_000, tags: ["temporary"] })
	const byTag: ManagedConnection[] = manager.getConnectionsByTag("temporary")
	const result = await manager.performHealthCheck(byTag[0]?.id ?? "")
	const traffic: ConnectionStats = WebSocketStats.getConnectionStats()
	const perRoute = traffic.routes["/api/chat"]?.messagesIn ?? 0
	logConnectionStats()
	await ConnectionManagerAPI.shutdown({ timeout: 10_000, closeCode: 1001, closeReason: "Server shutting down" })
	// @ts-expect-error: the close code is a number
	manager.closeConnections({}, "1000")
	return JSON.stringify({ stats, health, closed, result, perRoute, noAny, count: WebSocketStats.getConnectionCount(), total: stats.totalManagedConnections })
}

export const adapterOptions: WebSocketOptions = {
	connections: { maxConnections: 1000, maxConnectionsPerIP: 10, rateLimitMaxConnections: 20, trustProxy: true },
}
export const adapterDefaults: WebSocketOptions = { connections: true }
