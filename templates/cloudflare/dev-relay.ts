// The worker's half of the `astro dev` relay of @astrojs/cloudflare 13.x on,
// where @cloudflare/vite-plugin runs the worker in workerd and answers every
// upgrade itself: it takes the worker's socket and completes the client's
// handshake with its own `ws` server (first offered subprotocol, whatever the
// route selected), and it closes the connection without a word when the
// worker answers with anything but a socket.
//
// So in `astro dev` the adapter's Node side (dev-workerd.ts) answers the
// client and hands the plugin a relayed copy of the handshake, marked with
// RELAY_HEADER. For such a request the worker always returns a socket, and
// its first message says what the client must get: the 101 with the
// selected subprotocol and the route's headers, or the rejection's status
// and headers, whose body follows as the second message. Only Vite's module
// runner gives modules `import.meta.hot`, so a built worker (wrangler dev,
// deployed Workers) never relays, whatever a request carries.

import type { WorkerWebSocket } from "./wire.js"

/** Marks the relayed copy of a handshake ("1"); the Node side strips it from clients' requests. */
export const RELAY_HEADER = "x-zastro-dev-relay"

/** The first message of a relayed socket: the answer the client must get. */
export interface RelayAnswer {
	zastroRelay: 1
	/** 101 for an accepted upgrade, else the rejection's status. */
	status: number
	statusText: string
	/** The selected subprotocol ("" for none); 101 only. */
	protocol: string
	/** Header lines of the answer, Set-Cookie kept one per line. */
	headers: [string, string][]
}

declare const WebSocketPair: new () => { 0: WorkerWebSocket; 1: WorkerWebSocket }

/** Whether this request is the relayed copy of a handshake in `astro dev`. */
export function isRelayed(request: Request): boolean {
	return (import.meta as { hot?: unknown }).hot !== undefined && request.headers.get(RELAY_HEADER) === "1"
}

/** Sends the answer of an accepted upgrade as the first message of `server` (already accepted). */
export function sendAcceptance(server: WorkerWebSocket, protocol: string | undefined, headers: Headers): void {
	const answer: RelayAnswer = { zastroRelay: 1, status: 101, statusText: "Switching Protocols", protocol: protocol ?? "", headers: headerLines(headers) }
	server.send(JSON.stringify(answer))
}

/**
 * The subprotocol header of the 101 that goes to the relay: the plugin's
 * WebSocket client fails a handshake that selects none of those it offered,
 * so the relay gets one even when the route selected none (the client gets
 * the route's own choice from the first message).
 */
export function relayProtocol(selected: string | undefined, offered: readonly string[]): string | undefined {
	return selected ?? offered[0]
}

/** The relayed answer of a rejection: a socket carrying its status, headers and body. */
export async function relayRejection(response: Response, offered: readonly string[]): Promise<Response> {
	const body = new Uint8Array(await response.arrayBuffer())
	const pair = new WebSocketPair()
	const server = pair[1]
	server.accept()
	const answer: RelayAnswer = {
		zastroRelay: 1,
		status: response.status,
		statusText: response.statusText,
		protocol: "",
		headers: headerLines(response.headers),
	}
	server.send(JSON.stringify(answer))
	server.send(body)
	server.close(1000, "relayed")
	const headers = new Headers()
	const protocol = relayProtocol(undefined, offered)
	if (protocol !== undefined) headers.set("sec-websocket-protocol", protocol)
	return new Response(null, { status: 101, headers, webSocket: pair[0] } as ResponseInit)
}

function headerLines(headers: Headers): [string, string][] {
	const lines: [string, string][] = []
	headers.forEach((value, name) => {
		if (name.toLowerCase() !== "set-cookie") lines.push([name, value])
	})
	const get = (headers as Headers & { getSetCookie?: () => string[] }).getSetCookie
	for (const cookie of typeof get === "function" ? get.call(headers) : []) lines.push(["set-cookie", cookie])
	return lines
}

/**
 * The relayed answer of an upgrade a room (Durable Object) accepted: a relay
 * socket whose first message is the room's 101, then joined message for
 * message to the room's socket. Only `astro dev` takes this detour.
 */
export function relayRoom(accepted: Response, offered: readonly string[]): Response {
	const room = (accepted as Response & { webSocket?: WorkerWebSocket | null }).webSocket
	if (!room) return accepted
	const protocol = accepted.headers.get("sec-websocket-protocol") ?? undefined
	const headers = new Headers(accepted.headers)
	headers.delete("sec-websocket-protocol")
	const pair = new WebSocketPair()
	const relay = pair[1]
	relay.accept()
	sendAcceptance(relay, protocol, headers)
	room.accept()
	join(room, relay)
	join(relay, room)
	const relayHeaders = new Headers()
	const relayed = relayProtocol(protocol, offered)
	if (relayed !== undefined) relayHeaders.set("sec-websocket-protocol", relayed)
	return new Response(null, { status: 101, headers: relayHeaders, webSocket: pair[0] } as ResponseInit)
}

/** Forwards what `from` receives to `to`, its close included (codes that cannot be sent become 1011). */
function join(from: WorkerWebSocket, to: WorkerWebSocket): void {
	from.addEventListener("message", (event) => {
		try {
			to.send(event.data)
		} catch {
			// `to` is closing: the close below ends both
		}
	})
	const end = (code: number, reason: string) => {
		try {
			if (code === 1005) to.close()
			else if ((code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999)) to.close(code, reason)
			else to.close(1011, reason)
		} catch {
			// already closed
		}
	}
	from.addEventListener("close", (event) => end(event.code, event.reason))
	from.addEventListener("error", () => end(1011, ""))
}
