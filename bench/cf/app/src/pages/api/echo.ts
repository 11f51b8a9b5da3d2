// The echo route of the README: what the benchmark drives.
import type { APIRoute } from "astro"

export const prerender = false

export const GET: APIRoute = (ctx) => {
  if (!ctx.locals.isUpgradeRequest) return new Response("Upgrade required", { status: 426 })
  const { socket, response } = ctx.locals.upgradeWebSocket()
  socket.onmessage = (e) => socket.send(e.data)
  return response
}
