// The connection rate limit: a sliding window of attempt times per client
// address. Memory is bounded by addresses seen in one window times the limit.

export class SlidingWindow {
	readonly #hits = new Map<string, number[]>()

	/**
	 * Milliseconds until `key` may make another attempt, or 0 when it may now.
	 * Nothing is recorded: call `record` once the attempt is let through.
	 */
	wait(key: string, now: number, window: number, max: number): number {
		if (!Number.isFinite(max)) return 0
		const hits = this.#prune(key, now, window)
		if (hits === undefined || hits.length < max) return 0
		return Math.max(1, hits[hits.length - max] + window - now)
	}

	/** Attempts of `key` inside the window (after pruning). */
	count(key: string, now: number, window: number): number {
		return this.#prune(key, now, window)?.length ?? 0
	}

	record(key: string, now: number, max: number): void {
		if (!Number.isFinite(max)) return
		let hits = this.#hits.get(key)
		if (hits === undefined) {
			hits = []
			this.#hits.set(key, hits)
		}
		hits.push(now)
		if (hits.length > max) hits.splice(0, hits.length - max)
	}

	/** Drops addresses without attempts in the window; returns how many remain. */
	sweep(now: number, window: number): number {
		for (const key of [...this.#hits.keys()]) this.#prune(key, now, window)
		return this.#hits.size
	}

	get size(): number {
		return this.#hits.size
	}

	#prune(key: string, now: number, window: number): number[] | undefined {
		const hits = this.#hits.get(key)
		if (hits === undefined) return undefined
		let expired = 0
		while (expired < hits.length && hits[expired] <= now - window) expired++
		if (expired > 0) hits.splice(0, expired)
		if (hits.length === 0) {
			this.#hits.delete(key)
			return undefined
		}
		return hits
	}
}
