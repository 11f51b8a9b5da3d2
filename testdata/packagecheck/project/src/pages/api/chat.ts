// A route that uses more of the socket, the way browser code does.
import type { APIRoute } from "astro"

export const prerender = false

export const GET: APIRoute = ({ locals, url }) => {
  if (!locals.isUpgradeRequest) return new Response("Upgrade required", { status: 426 })
  const room = url.searchParams.get("room") ?? "lobby"
  const { socket, response } = locals.upgradeWebSocket({ protocol: "chat.v1" })
  socket.binaryType = "arraybuffer"
  socket.onopen = () => socket.send(JSON.stringify({ joined: room, protocol: socket.protocol }))
  socket.addEventListener("message", (event) => {
    if (typeof event.data === "string") socket.send(event.data.toUpperCase())
    else if (event.data instanceof ArrayBuffer) socket.send(new Uint8Array(event.data))
  })
  socket.addEventListener("close", (event) => {
    const summary: string = `${event.code} ${event.reason} ${event.wasClean}`
    void summary
  })
  socket.onerror = (event) => void event.type
  if (socket.readyState === socket.CLOSED) socket.close(1000, "done")
  return response
}
