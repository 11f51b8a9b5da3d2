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

/** Throws unless `protocol` is undefined or one of those the client offered. */
export function checkProtocol(protocol: unknown, offered: readonly string[]): string | undefined {
	if (protocol === undefined) return undefined
	if (typeof protocol !== "string") {
		throw new TypeError("locals.upgradeWebSocket({ protocol }): `protocol` must be a string.")
	}
	if (!offered.includes(protocol)) {
		const list =
			offered.length === 0
				? "none (the request has no Sec-WebSocket-Protocol header)"
				: offered.map((p) => JSON.stringify(p)).join(", ")
		throw new Error(
			`locals.upgradeWebSocket({ protocol: ${JSON.stringify(protocol)} }): the client did not offer this subprotocol. ` +
				`It offered: ${list}. Select one of those, or leave \`protocol\` out to select none.`,
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
