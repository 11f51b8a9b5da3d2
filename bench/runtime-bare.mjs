// zastro's WebSocket runtime on a bare node:http server, without Astro: the
// handler does what upstream's does for the route (locals, the route, the
// Response written to the response object) and nothing else. Measured
// against plain ws, it gives the share of the upgrade plumbing and the
// browser-compatible socket alone; the Astro app's figures add the route
// pipeline. Imports the runtime from the installed package's files.
import { createServer } from "node:http"
import { attachUpgrade, prepareLocals } from "./node_modules/zastro-websockets-node/dist/zastro/node/index.js"

const host = process.env.HOST ?? "127.0.0.1"
const port = Number(process.env.PORT ?? 4323)

// The README's echo route.
function route(locals) {
  if (!locals.isUpgradeRequest) return new Response("Upgrade required", { status: 426 })
  const { socket, response } = locals.upgradeWebSocket()
  socket.onmessage = (e) => socket.send(e.data)
  return response
}

async function handler(req, res) {
  const response = route(prepareLocals(req, {}))
  const headers = {}
  response.headers.forEach((value, name) => {
    headers[name] = value
  })
  res.writeHead(response.status, headers)
  res.end(response.body === null ? undefined : Buffer.from(await response.arrayBuffer()))
}

const server = createServer((req, res) => void handler(req, res))
attachUpgrade(server, handler, {})
server.listen(port, host, () => console.log(`zastro runtime (no Astro) echo listening on http://${host}:${port}`))
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(0))
