// Runtime benchmark on workerd: the built zastro-websockets-cloudflare echo
// app against a plain Worker that answers with a WebSocketPair, both under
// `wrangler dev` on loopback, measured in one go and interleaved (each round
// alternates which goes first). Prints, per server, the median over the rounds
// of the echo round trips per second (N connections, one 32-byte message in
// flight each) and, as its last line, `cf_throughput_ratio=..` (the median of
// the per-round ratios). bench/cf-run.sh builds the package and the app and
// runs this file from the app folder (it imports `ws` from there).
//
//   node cf-runtime.mjs --app . --plain ../plain [--rounds N] [--seconds S] [--json]
import { spawn } from "node:child_process"
import { createServer } from "node:net"
import { resolve } from "node:path"
import { performance } from "node:perf_hooks"
import { setTimeout as sleep } from "node:timers/promises"
import { parseArgs } from "node:util"
import { close, httpStatus, open } from "./ws-client.mjs"

const { values: opt } = parseArgs({
  options: {
    app: { type: "string" },
    plain: { type: "string" },
    rounds: { type: "string", default: "3" },
    seconds: { type: "string", default: "3" },
    connections: { type: "string", default: "16" },
    json: { type: "boolean", default: false },
  },
})
if (!opt.app || !opt.plain) {
  console.error("usage: node cf-runtime.mjs --app APP_DIR --plain PLAIN_WORKER_DIR [--rounds N] [--seconds S] [--json]")
  process.exit(2)
}
const rounds = Number(opt.rounds)
const seconds = Number(opt.seconds)
const connections = Number(opt.connections)
const log = (...a) => console.error(...a)
const children = []

function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer()
    srv.once("error", rej)
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address()
      srv.close(() => res(port))
    })
  })
}

async function startWrangler(name, dir, path) {
  const port = await freePort()
  const inspector = await freePort()
  const wrangler = resolve(opt.app, "node_modules/.bin/wrangler")
  const child = spawn(process.execPath, [wrangler, "dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspector)], {
    cwd: resolve(dir),
    env: { ...process.env, CI: "true", DO_NOT_TRACK: "1", WRANGLER_SEND_METRICS: "false", WRANGLER_SEND_ERROR_REPORTS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group: workerd goes down with it
  })
  children.push(child)
  let output = ""
  child.stdout.on("data", (d) => (output += d))
  child.stderr.on("data", (d) => (output += d))
  const deadline = Date.now() + 90_000
  while (Date.now() < deadline && child.exitCode === null) {
    const status = await httpStatus(port, path, 2000)
    if (status === 426) return { name, child, url: `ws://127.0.0.1:${port}${path}` }
    await sleep(300)
  }
  throw new Error(`${name}: wrangler dev in ${dir} did not answer 426 on ${path}:\n${output.slice(-3000)}`)
}

function stopAll() {
  for (const c of children) {
    try {
      process.kill(-c.pid, "SIGTERM")
    } catch {
      // already gone
    }
  }
}
process.on("exit", stopAll)
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(130))

async function echo(server, secs) {
  const sockets = await Promise.all(Array.from({ length: connections }, () => open(server.url)))
  const payload = "x".repeat(32)
  let count = 0
  const start = performance.now()
  const deadline = start + secs * 1000
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise((res) => {
          ws.on("message", () => {
            count++
            if (performance.now() < deadline) ws.send(payload)
            else res()
          })
          ws.send(payload)
        }),
    ),
  )
  const rate = count / ((performance.now() - start) / 1000)
  await Promise.all(sockets.map(close))
  return rate
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

const [zastro, plain] = await Promise.all([
  startWrangler("zastro-websockets-cloudflare", opt.app, "/api/echo"),
  startWrangler("WebSocketPair", opt.plain, "/"),
])
const servers = [zastro, plain]
log(`bench: ${zastro.name} ${zastro.url} vs ${plain.name} ${plain.url}; ${rounds} rounds, ${seconds} s per measure, ${connections} echo connections`)
for (const s of servers) await echo(s, 1) // warm-up
const samples = { [zastro.name]: [], [plain.name]: [] }
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? servers : [...servers].reverse()
  for (const s of order) samples[s.name].push(await echo(s, seconds))
  log(`round ${r + 1}/${rounds}: ` + servers.map((s) => `${s.name} ${Math.round(samples[s.name].at(-1))} rt/s`).join(" | "))
}
const z = median(samples[zastro.name])
const p = median(samples[plain.name])
const ratio = median(samples[zastro.name].map((v, i) => v / samples[plain.name][i]))
const int = (n) => Math.round(n).toLocaleString("en-US")
if (opt.json) {
  console.log(JSON.stringify({ node: process.version, rounds, seconds, connections, results: { [zastro.name]: z, [plain.name]: p }, ratio, samples }, null, 2))
} else {
  console.log(
    [
      `| metric (median of ${rounds} rounds, wrangler dev) | ${zastro.name} | WebSocketPair Worker | ratio |`,
      "| --- | ---: | ---: | ---: |",
      `| echo round-trips/s | ${int(z)} | ${int(p)} | ${ratio.toFixed(2)}× |`,
    ].join("\n"),
  )
}
console.log(`cf_throughput_ratio=${ratio.toFixed(2)}`)
stopAll()
process.exit(0)
