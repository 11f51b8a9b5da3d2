// The connection manager's cluster option (cluster.ts): option checks, the
// clear error without ioredis (it is not installed beside these tests, as in
// a project that never added it), and the manager's side of the protocol
// against an in-memory stand-in of an ioredis client. Real Redis and real
// server processes are the e2e's part (e2e/cluster_test.go).

import assert from "node:assert/strict"
import { EventEmitter } from "node:events"
import { test } from "node:test"
import { backoff, type ClusterMessage } from "../cluster.js"
import { getConnectionManager } from "../connection-manager.js"
import type { ClusterOptions } from "../connection-types.js"
import { closeAll, closed, connect, echoRoute, nextEvent, refused, STEP_MS, startServer, withTimeout } from "./helpers.js"

const manager = getConnectionManager({ handleSignals: false })

test("the cluster option is checked when it is set", () => {
	assert.throws(() => manager.updateConfig({ cluster: { redis: "http://127.0.0.1:6379" } }), /redis:\/\/ or rediss:\/\/ URL/)
	assert.throws(() => manager.updateConfig({ cluster: { redis: {} as ClusterOptions["redis"] } }), /ioredis client/)
	assert.throws(
		() => manager.updateConfig({ cluster: { redis: "redis://127.0.0.1:6379", heartbeatInterval: 1000, heartbeatTimeout: 1000 } }),
		/heartbeatTimeout \(1000\) must be longer than heartbeatInterval/,
	)
	assert.throws(() => manager.updateConfig({ cluster: { redis: "redis://127.0.0.1:6379", channel: "a*" } }), /channel/)
	assert.throws(() => manager.updateConfig({ cluster: "redis://x" as unknown as ClusterOptions }), /cluster must be an object/)
	assert.equal(manager.clustered, false, "a refused option changes nothing")
})

test("reconnection delays grow to 5 s and no further", () => {
	for (let attempt = 0; attempt < 40; attempt++) {
		const delay = backoff(attempt)
		assert.ok(delay >= 50 && delay <= 5_000, `attempt ${attempt}: ${delay} ms`)
	}
	assert.ok(backoff(30) >= 2_500)
})

test("without ioredis the cluster option says what to install, and the manager serves alone", async () => {
	const down = nextEvent<[Error | undefined]>(manager, "cluster:down")
	manager.updateConfig({ cluster: { redis: "redis://127.0.0.1:9" } })
	try {
		assert.equal(manager.clustered, true)
		await assert.rejects(manager.clusterReady(STEP_MS), /needs the Redis client "ioredis".*npm install ioredis/s)
		const [error] = await down
		assert.match(String(error?.message), /npm install ioredis/)
		const stats = await manager.getClusterStats()
		assert.equal(stats.enabled, true)
		assert.equal(stats.connected, false)
		assert.equal(stats.instancesAlive, 1)

		// Handshakes and broadcasts go on, locally.
		const server = await startServer(echoRoute())
		try {
			const ws = await connect(`${server.url}/alone`)
			assert.equal(manager.broadcast("still here"), 1)
			assert.equal(await nextMessage(ws, STEP_MS, "step 1"), "still here")
			assert.equal((await manager.getClusterStats()).totalConnections, 1)
			await closeAll([ws])
		} finally {
			await server.close()
		}
	} finally {
		manager.updateConfig({ cluster: null })
	}
	assert.equal(manager.clustered, false)
	assert.deepEqual(await manager.getClusterStats(), {
		enabled: false,
		connected: false,
		instanceId: undefined,
		instances: [],
		instancesAlive: 0,
		totalConnections: 0,
		droppedMessages: 0,
	})
})

/** An in-memory stand-in for the ioredis calls the backend makes, shared by a client and its duplicates. */
class FakeBus {
	readonly published: ClusterMessage[] = []
	readonly subscribers = new Set<FakeRedis>()
	readonly keys = new Map<string, string>()
	/** What the admission script answers, or an Error to throw. */
	admit: [number, number, number] | Error = [0, 1, 0]
	evals = 0
}

class FakeRedis extends EventEmitter {
	status = "ready"
	readonly bus: FakeBus
	readonly channels = new Set<string>()

	constructor(bus: FakeBus) {
		super()
		this.bus = bus
	}

	duplicate(): FakeRedis {
		const copy = new FakeRedis(this.bus)
		copy.status = "connecting"
		setImmediate(() => {
			copy.status = "ready"
			copy.emit("ready")
		})
		return copy
	}

	async publish(channel: string, message: string): Promise<number> {
		if (this.status !== "ready") throw new Error("Stream isn't writeable")
		this.bus.published.push(JSON.parse(message) as ClusterMessage)
		let n = 0
		for (const sub of this.bus.subscribers) {
			if (sub.channels.has(channel)) {
				n++
				setImmediate(() => sub.emit("message", channel, message))
			}
		}
		return n
	}

	async subscribe(channel: string): Promise<number> {
		this.channels.add(channel)
		this.bus.subscribers.add(this)
		return this.channels.size
	}

	async eval(): Promise<unknown> {
		this.bus.evals++
		if (this.bus.admit instanceof Error) throw this.bus.admit
		return this.bus.admit
	}

	async set(key: string, value: string): Promise<string> {
		this.bus.keys.set(key, value)
		return "OK"
	}

	async del(key: string): Promise<number> {
		return this.bus.keys.delete(key) ? 1 : 0
	}

	async mget(...keys: string[]): Promise<(string | null)[]> {
		return keys.map((key) => this.bus.keys.get(key) ?? null)
	}

	async scan(_cursor: string, _match: "MATCH", pattern: string): Promise<[string, string[]]> {
		const prefix = pattern.replace(/\*$/, "")
		return ["0", [...this.bus.keys.keys()].filter((key) => key.startsWith(prefix))]
	}

	async hset(): Promise<number> {
		return 1
	}

	async hdel(): Promise<number> {
		return 1
	}

	async quit(): Promise<string> {
		return "OK"
	}

	disconnect(): void {
		this.status = "end"
		this.bus.subscribers.delete(this)
	}

	/** The connection drops (as ioredis reports it) and comes back. */
	drop(): void {
		this.status = "reconnecting"
		this.emit("close")
	}

	back(): void {
		this.status = "ready"
		this.emit("ready")
	}
}

/** A message of another instance on the app's channel. */
function fromOther(client: FakeRedis, message: Partial<ClusterMessage> & { kind: ClusterMessage["kind"] }): void {
	const sub = [...client.bus.subscribers][0]
	assert.ok(sub, "the backend subscribed")
	sub.emit("message", "e2e-unit", JSON.stringify({ v: 1, from: "other-instance", ...message }))
}

test("with a client: broadcasts go out once, other instances' messages come in, limits ask Redis", async () => {
	const bus = new FakeBus()
	const client = new FakeRedis(bus)
	const up = nextEvent<[string]>(manager, "cluster:up")
	manager.updateConfig({
		maxConnectionsPerIP: 5,
		cluster: { redis: client as unknown as ClusterOptions["redis"], channel: "e2e-unit", heartbeatInterval: 50, heartbeatTimeout: 200 },
	})
	const server = await startServer(
		echoRoute((socket, url) => {
			const id = manager.getConnectionId(socket)
			const room = url.searchParams.get("room")
			if (id && room) manager.addConnectionTag(id, room)
		}),
	)
	const clients = []
	try {
		const [instanceId] = await up
		await manager.clusterReady(STEP_MS)
		const red = await connect(`${server.url}/chat?room=red`)
		const blue = await connect(`${server.url}/chat?room=blue`)
		clients.push(red, blue)
		assert.equal(bus.evals, 2, "each handshake was judged by the admission script")

		// Sent here at once, published once with this instance's id.
		assert.equal(manager.broadcastToTag("red", "hello red"), 1)
		assert.equal(await nextMessage(red, STEP_MS, "step 2"), "hello red")
		assert.deepEqual(bus.published.at(-1), { v: 1, from: instanceId, kind: "broadcast", data: "hello red", binary: false, tag: "red" })
		// Its own message coming back from Redis is not delivered again: the
		// next message red gets is the following broadcast.
		const blueId = manager.getConnectionsByTag("blue")[0]?.id
		assert.ok(blueId)
		assert.equal(manager.broadcast(new Uint8Array([1, 2, 3]), { except: blueId }), 1)
		const binary = bus.published.at(-1)
		assert.equal(binary?.kind === "broadcast" && binary.binary && binary.data, Buffer.from([1, 2, 3]).toString("base64"))
		assert.equal(binary?.kind === "broadcast" && binary.except, blueId)
		assert.deepEqual([...Buffer.from(await nextBinary(red))], [1, 2, 3])
		const thirds = Promise.all([nextMessage(red, STEP_MS, "third on red"), nextMessage(blue, STEP_MS, "third on blue")])
		assert.equal(manager.broadcast("third"), 2)
		assert.deepEqual(await thirds, ["third", "third"])
		const publishedBefore = bus.published.length

		// Another instance's broadcast reaches the matching sockets here and is not published back.
		fromOther(client, { kind: "broadcast", data: "from elsewhere", binary: false, tag: "blue" })
		assert.equal(await nextMessage(blue, STEP_MS, "step 5"), "from elsewhere")
		const everyone = Promise.all([nextMessage(red, STEP_MS, "to everyone on red"), nextMessage(blue, STEP_MS, "to everyone on blue")])
		fromOther(client, { kind: "broadcast", data: "to everyone", binary: false })
		assert.deepEqual(await everyone, ["to everyone", "to everyone"])
		// Its own id on the message: ignored.
		fromOther(client, { kind: "broadcast", data: "echo", binary: false, from: instanceId } as Partial<ClusterMessage> & { kind: "broadcast" })
		fromOther(client, { kind: "broadcast", data: "after the echo", binary: false, tag: "red" })
		assert.equal(await nextMessage(red, STEP_MS, "step 8"), "after the echo")
		assert.equal(bus.published.length, publishedBefore)

		// Statistics from the heartbeats.
		bus.keys.set(
			"e2e-unit:instance:other-instance",
			JSON.stringify({ id: "other-instance", connections: 4, pid: 1, hostname: "h", startedAt: 0, lastHeartbeat: 0 }),
		)
		const stats = await waitFor(async () => {
			const s = await manager.getClusterStats()
			return s.instancesAlive === 2 ? s : undefined
		}, "two instances in the statistics")
		assert.equal(stats.totalConnections, 6)
		assert.equal(stats.instances.find((i) => i.self)?.connections, 2)

		// The per-IP verdict comes from Redis.
		bus.admit = [2, 5, 0]
		const perIP = await refused(`${server.url}/chat?room=red`)
		assert.equal(perIP.status, 503)
		bus.admit = [1, 10, 30_500]
		const rate = await refused(`${server.url}/chat?room=red`)
		assert.equal(rate.status, 429)
		assert.equal(rate.headers["retry-after"], "31")
		// Redis not answering: this instance's own counts decide.
		bus.admit = new Error("no answer")
		const third = await connect(`${server.url}/chat?room=green`)
		clients.push(third)
		bus.admit = [0, 1, 0]

		// A close from another instance closes here.
		fromOther(client, { kind: "close", criteria: { tags: ["blue"] }, code: 4001, reason: "room closed" })
		assert.deepEqual(await closed(blue), { code: 4001, reason: "room closed" })

		// Redis goes away: cluster:down, local delivery goes on, nothing is queued.
		const down = nextEvent<[Error | undefined]>(manager, "cluster:down")
		client.drop()
		await down
		const dropped = (await manager.getClusterStats()).droppedMessages
		assert.equal(manager.broadcastToTag("red", "while down"), 1)
		assert.equal(await nextMessage(red, STEP_MS, "step 9"), "while down")
		assert.equal((await manager.getClusterStats()).droppedMessages, dropped + 1)
		assert.equal((await manager.getClusterStats()).connected, false)
		const back = nextEvent<[string]>(manager, "cluster:up")
		client.back()
		assert.equal((await back)[0], instanceId)
		manager.broadcastToTag("red", "after")
		assert.equal(await nextMessage(red, STEP_MS, "step 10"), "after")
		assert.equal(bus.published.at(-1)?.kind === "broadcast" && bus.published.at(-1)?.from, instanceId)
	} finally {
		await closeAll(clients)
		await server.close()
		manager.updateConfig({ cluster: null, maxConnectionsPerIP: null })
	}
})

function nextMessage(ws: import("ws").WebSocket, ms: number, what: string): Promise<string> {
	return withTimeout(
		new Promise<string>((resolve) => ws.once("message", (data: Buffer) => resolve(data.toString("utf8")))),
		ms,
		what,
	)
}

function nextBinary(ws: import("ws").WebSocket): Promise<Buffer> {
	return withTimeout(
		new Promise<Buffer>((resolve) => ws.once("message", (data) => resolve(data as Buffer))),
		STEP_MS,
		"a binary message",
	)
}

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
	const deadline = Date.now() + STEP_MS
	for (;;) {
		const value = await probe()
		if (value !== undefined) return value
		if (Date.now() > deadline) throw new Error(`timed out: ${what}`)
		await new Promise((resolve) => setTimeout(resolve, 20)) // poll interval
	}
}
