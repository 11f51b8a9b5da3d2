// The baseline: a plain `ws` echo server, the same library and version the
// generated adapter uses underneath, with nothing in front of it.
//
// ZASTRO_BENCH_WS_READS_TEXT=1: an app that reads its text messages, as a
// zastro route gets each of them (`event.data`, a string): every text
// message is decoded, then the received bytes are echoed as before.
import { createServer } from "node:http"
import { WebSocketServer } from "ws"

const host = process.env.HOST ?? "127.0.0.1"
const port = Number(process.env.PORT ?? 4322)
const readsText = process.env.ZASTRO_BENCH_WS_READS_TEXT === "1"
let decodedChars = 0

const server = createServer((req, res) => {
  res.writeHead(426, { "content-type": "text/plain" }).end("Upgrade required")
})
const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 })
server.on("upgrade", (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (ws) => {
    if (readsText) {
      ws.on("message", (data, isBinary) => {
        if (!isBinary) decodedChars += data.toString().length
        ws.send(data, { binary: isBinary })
      })
      return
    }
    ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }))
  })
})
server.listen(port, host, () => console.log(`ws echo${readsText ? " (reads text)" : ""} listening on http://${host}:${port}`))
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    if (readsText) console.log(`decoded ${decodedChars} characters`)
    process.exit(0)
  })
}
