// The baseline on workerd: a Worker that answers WebSocket upgrades with a
// WebSocketPair and echoes, with nothing in front of it.
export default {
  async fetch(request) {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response("Upgrade required", { status: 426 })
    }
    const { 0: client, 1: server } = new WebSocketPair()
    server.accept()
    server.addEventListener("message", (event) => server.send(event.data))
    server.addEventListener("close", () => {
      try {
        server.close()
      } catch {
        // already answered (web_socket_auto_reply_to_close)
      }
    })
    return new Response(null, { status: 101, webSocket: client })
  },
}
