// The baseline: a plain `ws` echo server, the same library and version the
// generated adapter uses underneath, with nothing in front of it.
import { createServer } from "node:http"
import { WebSocketServer } from "ws"

const host = process.env.HOST ?? "127.0.0.1"
const port = Number(process.env.PORT ?? 4322)

const server = createServer((req, res) => {
  res.writeHead(426, { "content-type": "text/plain" }).end("Upgrade required")
})
const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 })
server.on("upgrade", (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (ws) => {
    ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }))
  })
})
server.listen(port, host, () => console.log(`ws echo listening on http://${host}:${port}`))
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(0))
