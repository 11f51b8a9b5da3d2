// The cluster backend of the connection manager: several server processes of
// one app share broadcasts, connection closes, statistics and the per-IP
// limits through Redis. Loaded by the manager only when its `cluster` option
// is set; the Redis client library (ioredis) is an optional peer dependency
// loaded with a dynamic import at that moment.
//
// Redis layout, under the key prefix `<channel>:` (default "zastro-ws"):
//   <channel>                      pub/sub channel of the app: JSON messages
//                                  tagged with the sending instance's id
//   <channel>:instance:<id>        heartbeat of one instance (JSON), expires
//                                  after heartbeatTimeout ms without renewal
//   <channel>:ip:<address>         hash instance id -> open connections from
//                                  that address on that instance
//   <channel>:rate:<address>       sorted set of handshake times (the
//                                  cluster-wide sliding window of the rate limit)

import { randomUUID } from "node:crypto"
import { hostname } from "node:os"
import { logError, logWarning } from "../shared/log.js"
import type { ClusterInstanceStats, ClusterOptions, ClusterStats } from "./connection-types.js"

/** The package loaded when `cluster.redis` is a URL. */
const LIBRARY = "ioredis"
const DEFAULT_CHANNEL = "zastro-ws"
const DEFAULT_HEARTBEAT = 5_000
const DEFAULT_TIMEOUT = 1_000
const MESSAGE_VERSION = 1
/** Longest pause between two reconnection attempts. */
const MAX_BACKOFF = 5_000

/**
 * The part of an ioredis client the backend uses. A client passed as
 * `cluster.redis` must be an ioredis `Redis` (it is duplicated for the
 * subscription).
 */
export interface RedisClient {
	readonly status: string
	on(event: string, listener: (...args: never[]) => void): unknown
	off(event: string, listener: (...args: never[]) => void): unknown
	duplicate(options?: Record<string, unknown>): RedisClient
	publish(channel: string, message: string): Promise<unknown>
	subscribe(channel: string): Promise<unknown>
	eval(script: string, numberOfKeys: number, ...args: (string | number)[]): Promise<unknown>
	set(key: string, value: string, mode: "PX", milliseconds: number): Promise<unknown>
	del(key: string): Promise<unknown>
	mget(...keys: string[]): Promise<(string | null)[]>
	scan(cursor: string, match: "MATCH", pattern: string, count: "COUNT", hint: number): Promise<[string, string[]]>
	hset(key: string, field: string, value: string): Promise<unknown>
	hdel(key: string, field: string): Promise<unknown>
	quit(): Promise<unknown>
	disconnect(): void
}

type RedisConstructor = new (url: string, options: Record<string, unknown>) => RedisClient

/** The options with defaults applied. */
export interface ResolvedClusterOptions {
	readonly redis: string | RedisClient
	readonly channel: string
	readonly heartbeatInterval: number
	readonly heartbeatTimeout: number
	readonly timeout: number
}

/** A message on the app's channel. */
export type ClusterMessage =
	| {
			readonly v: number
			readonly from: string
			readonly kind: "broadcast"
			/** Text, or base64 of binary data when `binary`. */
			readonly data: string
			readonly binary: boolean
			readonly tag?: string
			readonly tags?: string[]
			readonly route?: string
			readonly except?: string
	  }
	| {
			readonly v: number
			readonly from: string
			readonly kind: "close"
			readonly criteria: SerializableCriteria
			readonly code: number
			readonly reason: string
	  }

export interface SerializableCriteria {
	idleMoreThan?: number
	olderThan?: number
	tags?: string[]
	ip?: string
	route?: string
	ids?: string[]
	unhealthy?: boolean
}

/** What the manager gives the backend. */
export interface ClusterHost {
	/** Open connections of this instance. */
	openConnections(): number
	/** Open or admitted connections of this instance per client address. */
	connectionsFrom(ip: string): number
	addresses(): Iterable<string>
	/** Runs a message of another instance on this instance's connections. */
	deliver(message: ClusterMessage): void
	up(instanceId: string): void
	down(error: Error | undefined): void
}

/** The answer of the admission script. */
export interface ClusterVerdict {
	/** 0 admitted, 1 rate limit, 2 per-IP limit. */
	readonly outcome: 0 | 1 | 2
	/** Attempts in the window (rate limit) or connections from the address (per-IP). */
	readonly count: number
	/** Milliseconds until the rate limit lets the address in again. */
	readonly wait: number
}

// KEYS: rate key, ip hash. ARGV: instance id, rate max (-1: none), window ms,
// per-IP max (-1: none), member, heartbeat key prefix.
// Redis's own clock, so that instances on hosts with skewed clocks agree.
const ADMIT_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rateMax = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
if rateMax >= 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
  local n = redis.call('ZCARD', KEYS[1])
  if n >= rateMax then
    local first = redis.call('ZRANGE', KEYS[1], n - rateMax, n - rateMax, 'WITHSCORES')
    local wait = window
    if first[2] then wait = tonumber(first[2]) + window - now end
    if wait < 1 then wait = 1 end
    return {1, n + 1, wait}
  end
end
local total = 0
local fields = redis.call('HGETALL', KEYS[2])
for i = 1, #fields, 2 do
  local who = fields[i]
  if who == ARGV[1] or redis.call('EXISTS', ARGV[6] .. who) == 1 then
    total = total + tonumber(fields[i + 1])
  else
    redis.call('HDEL', KEYS[2], who)
  end
end
local ipMax = tonumber(ARGV[4])
if ipMax >= 0 and total >= ipMax then return {2, total, 0} end
if rateMax >= 0 then
  redis.call('ZADD', KEYS[1], now, ARGV[5])
  redis.call('PEXPIRE', KEYS[1], window)
end
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
return {0, total + 1, 0}
`

/** Checks `cluster` and applies the defaults; throws a TypeError naming `source`. */
export function resolveClusterOptions(source: string, value: unknown): ResolvedClusterOptions {
	const fail = (message: string): never => {
		throw new TypeError(`${source}: cluster.${message}`)
	}
	if (typeof value !== "object" || value === null) {
		throw new TypeError(`${source}: cluster must be an object such as { redis: "redis://127.0.0.1:6379" }, got ${String(value)}.`)
	}
	const options = value as ClusterOptions
	const redis = options.redis as unknown
	if (typeof redis === "string") {
		let url: URL | undefined
		try {
			url = new URL(redis)
		} catch {}
		if (url === undefined || (url.protocol !== "redis:" && url.protocol !== "rediss:")) {
			fail(`redis must be a redis:// or rediss:// URL, got ${JSON.stringify(redis)}.`)
		}
	} else if (
		typeof redis !== "object" ||
		redis === null ||
		typeof (redis as RedisClient).duplicate !== "function" ||
		typeof (redis as RedisClient).publish !== "function"
	) {
		fail("redis must be a redis:// URL or an ioredis client (new Redis(...)).")
	}
	const channel = options.channel ?? DEFAULT_CHANNEL
	if (typeof channel !== "string" || channel === "" || /[\s*?[\]]/.test(channel)) {
		fail(`channel must be a non-empty string without spaces or glob characters, got ${JSON.stringify(channel)}.`)
	}
	const positive = (name: "heartbeatInterval" | "heartbeatTimeout" | "timeout", fallback: number): number => {
		const v = options[name] ?? fallback
		if (typeof v !== "number" || !(v > 0) || v > 2_147_483_647) fail(`${name} must be a number of milliseconds > 0, got ${String(v)}.`)
		return v
	}
	const heartbeatInterval = positive("heartbeatInterval", DEFAULT_HEARTBEAT)
	const heartbeatTimeout = positive("heartbeatTimeout", heartbeatInterval * 3)
	if (heartbeatTimeout <= heartbeatInterval) {
		fail(`heartbeatTimeout (${heartbeatTimeout}) must be longer than heartbeatInterval (${heartbeatInterval}).`)
	}
	return {
		redis: redis as string | RedisClient,
		channel,
		heartbeatInterval,
		heartbeatTimeout,
		timeout: positive("timeout", DEFAULT_TIMEOUT),
	}
}

/** Whether two resolved options describe the same backend (a route may pass a fresh object on every call). */
export function sameCluster(a: ResolvedClusterOptions, b: ResolvedClusterOptions): boolean {
	return (
		a.redis === b.redis &&
		a.channel === b.channel &&
		a.heartbeatInterval === b.heartbeatInterval &&
		a.heartbeatTimeout === b.heartbeatTimeout &&
		a.timeout === b.timeout
	)
}

/** The clear error for a missing client library. */
export function missingLibraryError(cause: unknown): Error {
	return new Error(
		`The connection manager's cluster option needs the Redis client "${LIBRARY}", an optional peer dependency of zastro-websockets-node that is not installed: run \`npm install ${LIBRARY}\` in your project.`,
		{ cause },
	)
}

async function loadLibrary(): Promise<RedisConstructor> {
	let module: Record<string, unknown>
	try {
		// A variable specifier: bundlers leave the import to run time, and
		// the package is only needed when the cluster option is set.
		const name = LIBRARY
		module = (await import(name)) as Record<string, unknown>
	} catch (error) {
		const code = (error as { code?: string } | null)?.code
		if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") throw missingLibraryError(error)
		throw error
	}
	const ctor = (module.Redis ?? (module.default as Record<string, unknown> | undefined)?.Redis ?? module.default) as
		| RedisConstructor
		| undefined
	if (typeof ctor !== "function") throw new Error(`The "${LIBRARY}" package does not export a Redis client class.`)
	return ctor
}

/** Reconnection delays: doubling from 100 ms up to 5 s, with jitter. */
export function backoff(attempt: number): number {
	const base = Math.min(MAX_BACKOFF, 100 * 2 ** Math.min(attempt, 10))
	return Math.round(base / 2 + Math.random() * (base / 2))
}

/** One instance's link to Redis. */
export class ClusterLink {
	readonly instanceId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`
	readonly options: ResolvedClusterOptions
	readonly #host: ClusterHost
	readonly #startedAt = Date.now()
	#pub: RedisClient | undefined
	#sub: RedisClient | undefined
	/** Our own clients are closed on stop; a user's client is left open. */
	#ownsPub = false
	#pubReady = false
	#subReady = false
	#up = false
	/** Whether cluster:down was reported for the current outage (or the failed start). */
	#downReported = false
	#stopped = false
	#heartbeat: NodeJS.Timeout | undefined
	/** An early heartbeat after the connection count changed. */
	#soon: NodeJS.Timeout | undefined
	#lastError: Error | undefined
	/** Addresses whose count in Redis may be wrong (written while Redis was away). */
	readonly #dirty = new Set<string>()
	/** Admissions between the script's increment and the manager's own count. */
	readonly #pending = new Map<string, number>()
	#dropped = 0
	readonly #ready: Promise<void>
	#resolveReady!: () => void
	#rejectReady!: (error: Error) => void
	#failed: Error | undefined
	readonly #listeners: [RedisClient, string, (...args: never[]) => void][] = []

	constructor(options: ResolvedClusterOptions, host: ClusterHost) {
		this.options = options
		this.#host = host
		this.#ready = new Promise<void>((resolve, reject) => {
			this.#resolveReady = resolve
			this.#rejectReady = reject
		})
		// Nobody may be waiting: the failure is logged below, never unhandled.
		this.#ready.catch(() => {})
		void this.#start().catch((error: unknown) => {
			const failure = error instanceof Error ? error : new Error(String(error))
			this.#failed = failure
			this.#rejectReady(failure)
			logError("The WebSocket cluster backend could not start; this instance runs alone.", failure)
			if (this.#stopped || this.#downReported) return
			this.#downReported = true
			this.#host.down(failure)
		})
	}

	get up(): boolean {
		return this.#up
	}

	/** Resolves once the link is up for the first time; rejects when it cannot start. */
	ready(): Promise<void> {
		return this.#failed ? Promise.reject(this.#failed) : this.#ready
	}

	get #prefix(): string {
		return this.options.channel
	}

	async #start(): Promise<void> {
		const given = this.options.redis
		let pub: RedisClient
		if (typeof given === "string") {
			const Redis = await loadLibrary()
			if (this.#stopped) return
			pub = new Redis(given, {
				// Commands fail at once while Redis is away instead of piling up.
				enableOfflineQueue: false,
				maxRetriesPerRequest: 1,
				retryStrategy: (attempt: number) => backoff(attempt),
				connectTimeout: 5_000,
				lazyConnect: false,
			})
			this.#ownsPub = true
		} else {
			pub = given
		}
		this.#pub = pub
		// The subscription needs a connection of its own; its offline queue
		// holds at most the one SUBSCRIBE, replayed on every reconnect.
		const sub = pub.duplicate({ enableOfflineQueue: true, autoResubscribe: true, retryStrategy: (attempt: number) => backoff(attempt) })
		this.#sub = sub
		this.#listen(pub, "ready", () => {
			this.#pubReady = true
			this.#check()
		})
		this.#listen(sub, "ready", () => {
			// ioredis resubscribes on its own; SUBSCRIBE is idempotent anyway.
			sub.subscribe(this.#prefix).then(
				() => {
					this.#subReady = true
					this.#check()
				},
				(error: unknown) => this.#error(error),
			)
		})
		for (const [client, which] of [
			[pub, "pub"],
			[sub, "sub"],
		] as const) {
			this.#listen(client, "error", (error: unknown) => this.#error(error))
			for (const event of ["close", "end", "reconnecting"]) {
				this.#listen(client, event, () => {
					if (which === "pub") this.#pubReady = false
					else this.#subReady = false
					this.#check()
				})
			}
		}
		this.#listen(sub, "message", (channel: string, text: string) => {
			if (channel === this.#prefix) this.#receive(text)
		})
		if (pub.status === "ready") this.#pubReady = true
		this.#heartbeat = setInterval(() => void this.#beat(), this.options.heartbeatInterval).unref()
		this.#check()
	}

	/** Listeners get what ioredis emits: an Error, or (channel, message) strings. */
	#listen<A extends unknown[]>(client: RedisClient, event: string, listener: (...args: A) => void): void {
		const untyped = listener as unknown as (...args: never[]) => void
		client.on(event, untyped)
		this.#listeners.push([client, event, untyped])
	}

	#error(error: unknown): void {
		this.#lastError = error instanceof Error ? error : new Error(String(error))
		if (!this.#up && !this.#downReported) this.#reportDown(this.#lastError)
	}

	#check(): void {
		if (this.#stopped) return
		const up = this.#pubReady && this.#subReady
		if (up === this.#up) return
		this.#up = up
		if (up) {
			this.#downReported = false
			this.#resolveReady()
			void this.#beat()
			void this.#resync()
			this.#host.up(this.instanceId)
		} else {
			this.#reportDown(this.#lastError)
		}
	}

	#reportDown(error: Error | undefined): void {
		if (this.#downReported || this.#stopped) return
		this.#downReported = true
		logWarning(
			`Redis (WebSocket cluster) is not reachable${error ? ` (${error.message.replace(/\.$/, "")})` : ""}. This instance serves its own connections alone and keeps reconnecting.`,
		)
		this.#host.down(error)
	}

	// ------------------------------------------------------------ pub/sub

	/** Publishes a message for the other instances; dropped (and counted) while Redis is away. */
	publish(message: ClusterMessage): void {
		const pub = this.#pub
		if (!this.#up || pub === undefined) {
			this.#dropped++
			return
		}
		pub.publish(this.#prefix, JSON.stringify(message)).catch((error: unknown) => {
			this.#dropped++
			this.#error(error)
		})
	}

	#receive(text: string): void {
		if (this.#stopped) return
		let message: ClusterMessage
		try {
			message = JSON.parse(text) as ClusterMessage
		} catch {
			return
		}
		if (typeof message !== "object" || message === null || message.v !== MESSAGE_VERSION) return
		// The sender delivered to its own connections already.
		if (message.from === this.instanceId) return
		try {
			this.#host.deliver(message)
		} catch (error) {
			logError("Delivering a message from another instance failed.", error)
		}
	}

	/** A broadcast message from this instance. */
	broadcastMessage(
		data: string | Uint8Array,
		options: { tag?: string; tags?: readonly string[]; route?: string; except?: string },
	): ClusterMessage {
		const binary = typeof data !== "string"
		return {
			v: MESSAGE_VERSION,
			from: this.instanceId,
			kind: "broadcast",
			data: binary ? Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64") : data,
			binary,
			...(options.tag === undefined ? {} : { tag: options.tag }),
			...(options.tags === undefined ? {} : { tags: [...options.tags] }),
			...(options.route === undefined ? {} : { route: options.route }),
			...(options.except === undefined ? {} : { except: options.except }),
		}
	}

	closeMessage(criteria: SerializableCriteria, code: number, reason: string): ClusterMessage {
		return { v: MESSAGE_VERSION, from: this.instanceId, kind: "close", criteria, code, reason }
	}

	// ------------------------------------------------------------ limits

	/**
	 * Counts a handshake from `ip` against the cluster-wide limits and, when
	 * it passes, records it. Rejects when Redis does not answer in time.
	 */
	async admit(ip: string, member: string, rateMax: number, window: number, ipMax: number): Promise<ClusterVerdict> {
		const pub = this.#pub
		if (pub === undefined || !this.#up) throw new Error("Redis is not connected.")
		this.#pending.set(ip, (this.#pending.get(ip) ?? 0) + 1)
		try {
			const answer = await withTimeout(
				pub.eval(
					ADMIT_SCRIPT,
					2,
					`${this.#prefix}:rate:${ip}`,
					`${this.#prefix}:ip:${ip}`,
					this.instanceId,
					Number.isFinite(rateMax) ? rateMax : -1,
					window,
					Number.isFinite(ipMax) ? ipMax : -1,
					member,
					`${this.#prefix}:instance:`,
				),
				this.options.timeout,
			)
			if (!Array.isArray(answer) || answer.length !== 3) throw new Error(`Unexpected answer from the admission script: ${String(answer)}`)
			const [outcome, count, wait] = answer.map(Number)
			return { outcome: outcome as 0 | 1 | 2, count, wait }
		} catch (error) {
			// The increment may or may not have happened: rewrite the count later.
			this.#dirty.add(ip)
			throw error
		}
	}

	/** The manager counted an admission (or gave up on one) that admit() was asked for. */
	settled(ip: string): void {
		const pending = (this.#pending.get(ip) ?? 1) - 1
		if (pending > 0) this.#pending.set(ip, pending)
		else this.#pending.delete(ip)
	}

	/** The connection count changed: the heartbeat goes out shortly, not only at the next interval. */
	touched(): void {
		if (this.#soon !== undefined || !this.#up) return
		this.#soon = setTimeout(() => {
			this.#soon = undefined
			void this.#beat()
		}, Math.min(100, this.options.heartbeatInterval)).unref()
	}

	/** The number of connections from `ip` on this instance changed: write it. */
	changed(ip: string): void {
		this.touched()
		if (!this.#up) {
			this.#dirty.add(ip)
			return
		}
		void this.#write(ip)
	}

	async #write(ip: string): Promise<void> {
		const pub = this.#pub
		if (pub === undefined) return
		const count = this.#host.connectionsFrom(ip) + (this.#pending.get(ip) ?? 0)
		const key = `${this.#prefix}:ip:${ip}`
		try {
			if (count > 0) await pub.hset(key, this.instanceId, String(count))
			else await pub.hdel(key, this.instanceId)
			this.#dirty.delete(ip)
		} catch {
			this.#dirty.add(ip)
		}
	}

	/** After (re)connecting: this instance's counts in Redis become its own counts again. */
	async #resync(): Promise<void> {
		const ips = new Set<string>(this.#dirty)
		for (const ip of this.#host.addresses()) ips.add(ip)
		await Promise.all([...ips].map((ip) => this.#write(ip)))
	}

	// ------------------------------------------------------------ heartbeat and statistics

	#record(): Omit<ClusterInstanceStats, "self"> {
		return {
			id: this.instanceId,
			connections: this.#host.openConnections(),
			pid: process.pid,
			hostname: hostname(),
			startedAt: this.#startedAt,
			lastHeartbeat: Date.now(),
		}
	}

	async #beat(): Promise<void> {
		const pub = this.#pub
		if (!this.#up || pub === undefined || this.#stopped) return
		try {
			await pub.set(`${this.#prefix}:instance:${this.instanceId}`, JSON.stringify(this.#record()), "PX", this.options.heartbeatTimeout)
		} catch (error) {
			this.#error(error)
		}
	}

	async stats(): Promise<ClusterStats> {
		const self: ClusterInstanceStats = { ...this.#record(), self: true }
		const alone = (): ClusterStats => ({
			enabled: true,
			connected: false,
			instanceId: this.instanceId,
			instances: [self],
			instancesAlive: 1,
			totalConnections: self.connections,
			droppedMessages: this.#dropped,
		})
		const pub = this.#pub
		if (!this.#up || pub === undefined) return alone()
		try {
			const keys = await withTimeout(this.#instanceKeys(pub), this.options.timeout * 5)
			const values = keys.length === 0 ? [] : await withTimeout(pub.mget(...keys), this.options.timeout)
			const instances: ClusterInstanceStats[] = [self]
			for (const value of values) {
				if (value === null) continue
				let record: Omit<ClusterInstanceStats, "self">
				try {
					record = JSON.parse(value) as Omit<ClusterInstanceStats, "self">
				} catch {
					continue
				}
				if (record.id === this.instanceId) continue
				instances.push({ ...record, self: false })
			}
			instances.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
			return {
				enabled: true,
				connected: true,
				instanceId: this.instanceId,
				instances,
				instancesAlive: instances.length,
				totalConnections: instances.reduce((sum, instance) => sum + instance.connections, 0),
				droppedMessages: this.#dropped,
			}
		} catch {
			return alone()
		}
	}

	async #instanceKeys(pub: RedisClient): Promise<string[]> {
		const keys: string[] = []
		let cursor = "0"
		do {
			const [next, batch] = await pub.scan(cursor, "MATCH", `${this.#prefix}:instance:*`, "COUNT", 100)
			keys.push(...batch)
			cursor = next
		} while (cursor !== "0")
		return keys
	}

	// ------------------------------------------------------------ stop

	/** Leaves the cluster: the heartbeat key goes at once, our own connections close. */
	async stop(): Promise<void> {
		if (this.#stopped) return
		const wasUp = this.#up
		this.#stopped = true
		this.#up = false
		clearInterval(this.#heartbeat)
		clearTimeout(this.#soon)
		const pub = this.#pub
		const sub = this.#sub
		if (wasUp && pub !== undefined) {
			try {
				const ips = [...this.#host.addresses(), ...this.#dirty]
				await withTimeout(
					Promise.all([
						pub.del(`${this.#prefix}:instance:${this.instanceId}`),
						...ips.map((ip) => pub.hdel(`${this.#prefix}:ip:${ip}`, this.instanceId)),
					]),
					this.options.timeout,
				)
			} catch {}
		}
		for (const [client, event, listener] of this.#listeners) client.off(event, listener)
		this.#listeners.length = 0
		// Errors after this point are of no interest, but must not be unhandled.
		const ignore = () => {}
		for (const client of [sub, this.#ownsPub ? pub : undefined]) {
			if (client === undefined) continue
			client.on("error", ignore)
			client.disconnect()
		}
	}
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
	let timer: NodeJS.Timeout | undefined
	const timeout = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms.`)), ms)
	})
	return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
