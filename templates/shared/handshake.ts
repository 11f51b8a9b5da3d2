// Platform-neutral parts of a WebSocket handshake: reading the offered
// subprotocols and the errors `upgradeWebSocket()` throws, worded the same on
// every platform.

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/** The offered subprotocols, or undefined when the header is malformed. */
export function parseProtocols(header: string | null | undefined): string[] | undefined {
	if (header === undefined || header === null) return []
	const protocols: string[] = []
	for (const part of header.split(",")) {
		const protocol = part.trim()
		if (!TOKEN.test(protocol) || protocols.includes(protocol)) return undefined
		protocols.push(protocol)
	}
	return protocols
}

/**
 * The subprotocol a handshake selects for `upgradeWebSocket({ protocol })`,
 * or undefined for none. Left out, the first one the client offered is
 * selected (what `ws` does without `handleProtocols`); `false` selects none;
 * a string must be one the client offered, else this throws.
 */
export function selectProtocol(protocol: unknown, offered: readonly string[]): string | undefined {
	if (protocol === undefined) return offered[0]
	if (protocol === false) return undefined
	if (typeof protocol !== "string") {
		throw new TypeError(
			"locals.upgradeWebSocket({ protocol }): `protocol` must be a string (one the client offered) or false (none).",
		)
	}
	if (!offered.includes(protocol)) {
		const list =
			offered.length === 0
				? "none (the request has no Sec-WebSocket-Protocol header)"
				: offered.map((p) => JSON.stringify(p)).join(", ")
		throw new Error(
			`locals.upgradeWebSocket({ protocol: ${JSON.stringify(protocol)} }): the client did not offer this subprotocol. ` +
				`It offered: ${list}. Select one of those, leave \`protocol\` out to select the first offered, ` +
				"or pass `protocol: false` to select none.",
		)
	}
	return protocol
}

/** What `upgradeWebSocket()` throws on its second call for one request. */
export function calledTwiceError(): Error {
	return new Error(
		"locals.upgradeWebSocket() was already called for this request. Call it once and return the `response` it gave.",
	)
}

/** What `upgradeWebSocket()` throws on a request that is not a WebSocket handshake. */
export function notUpgradeError(method: string | undefined, url: string | undefined): Error {
	return new Error(
		`locals.upgradeWebSocket() was called for ${method} ${url}, which is not a WebSocket upgrade request. ` +
			"Check `locals.isUpgradeRequest` first and answer other requests with a normal Response, " +
			'for example `new Response("Upgrade required", { status: 426 })`.',
	)
}
