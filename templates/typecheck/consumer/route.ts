// What a user writes, checked against the public types: no `any` may appear.
import type { ServerWebSocketMessageEvent, WebSocketOptions } from "../../node/env.js"

type IsAny<T> = 0 extends 1 & T ? true : false
type APIRoute = (context: { locals: App.Locals; request: Request }) => Response | Promise<Response>

export const GET: APIRoute = (ctx) => {
	if (!ctx.locals.isUpgradeRequest) return new Response("Upgrade required", { status: 426 })
	const { socket, response } = ctx.locals.upgradeWebSocket()
	socket.onmessage = (e) => socket.send(e.data)
	return response
}

export const chat: APIRoute = ({ locals }) => {
	const { socket, response } = locals.upgradeWebSocket({ protocol: "chat" })
	socket.binaryType = "arraybuffer"
	socket.onopen = () => socket.send("hello")
	socket.addEventListener("message", (event) => {
		const noAny: IsAny<typeof event.data> = false
		if (typeof event.data === "string") socket.send(event.data.toUpperCase())
		else if (event.data instanceof ArrayBuffer) socket.send(new Uint8Array(event.data))
		else void event.data.arrayBuffer().then((bytes) => socket.send(bytes))
		return noAny
	})
	socket.addEventListener("close", (event) => console.log(event.code, event.reason, event.wasClean))
	socket.onerror = (event) => console.log(event.type)
	socket.onclose = async (event) => {
		await Promise.resolve(event.code)
	}
	const onMessage = (event: ServerWebSocketMessageEvent) => event.origin
	socket.addEventListener("message", onMessage, { once: true })
	socket.removeEventListener("message", onMessage)
	if (socket.readyState === socket.OPEN) socket.close(1000, "bye")
	return response
}

// `protocol: false` selects no subprotocol.
export const plain: APIRoute = ({ locals }) => locals.upgradeWebSocket({ protocol: false }).response

export const options: WebSocketOptions = { maxPayload: 4 * 1024 * 1024, allowedOrigins: ["https://example.com"] }
