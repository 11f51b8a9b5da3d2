// Runtime benchmark: the generated Node adapter (an Astro standalone server
// whose echo route uses ctx.locals.upgradeWebSocket()) against a plain `ws`
// echo server, in one go and interleaved (the echo runs alternate between the
// servers every 250 ms; each round alternates which server goes first, metric
// by metric), on loopback only. Prints, per server, the
// median over the rounds of
//
//   echo round-trips per second   (N connections, one 32-byte message in flight each)
//   server CPU per round trip     (CPU time of the server process, all threads,
//                                  over the echo run, from /proc/<pid>/task/*/schedstat)
//   p99 echo latency              (send to echo, every round trip of the echo run)
//   handshakes per second         (open + close, C at a time), and the server
//                                  CPU per handshake
//   plain GETs per second         (the same path without Upgrade, a new TCP
//                                  connection each, C at a time: the route
//                                  pipeline without the WebSocket part), and
//                                  the server CPU per GET
//   memory per idle connection    (heap + external after a full GC; the RSS
//                                  delta is in --json, too noisy for a ratio)
//
// and the ratios zastro / ws. The last line of the output is
// `throughput_ratio=.. cpu_per_rt_ratio=.. handshake_ratio=.. mem_ratio=.. p99_ratio=..`. bench/run.sh builds the package and the app and
// runs this file from the app folder (it imports `ws` from there).
//
//   node runtime.mjs --zastro-entry dist/server/entry.mjs --ws-server ws-echo.mjs [--json]
//
// The baseline can be another server with a WebSocket echo at --ws-path (an
// older build of the app, for a before/after comparison); --summary no leaves
// out the last line; --echo-only measures the echo alone, with no handshakes,
// GETs or idle connections (and their garbage) between the echo runs.
import { spawn } from "node:child_process"
import { mkdtempSync, readFileSync, readdirSync, rmSync, existsSync } from "node:fs"
import { request } from "node:http"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { parseArgs } from "node:util"
import { performance } from "node:perf_hooks"
import { setTimeout as sleep } from "node:timers/promises"
import { pathToFileURL } from "node:url"
import { close, httpStatus, open } from "./ws-client.mjs"

const { values: opt } = parseArgs({
  options: {
    "zastro-entry": { type: "string" },
    "ws-server": { type: "string" },
    // the baseline's WebSocket path (another build of the app can be the baseline)
    "ws-path": { type: "string", default: "/" },
    "gc-hook": { type: "string", default: new URL("./gc-hook.mjs", import.meta.url).pathname },
    rounds: { type: "string", default: "3" },
    seconds: { type: "string", default: "3" },
    connections: { type: "string", default: "16" },
    concurrency: { type: "string", default: "8" },
    idle: { type: "string", default: "1000" },
    label: { type: "string", default: "zastro-websockets-node" },
    // "no": leave out the last line of ratios (run.sh's comparison without Astro)
    summary: { type: "string", default: "yes" },
    json: { type: "boolean", default: false },
    // only the echo runs: no handshakes, GETs or idle connections between them
    "echo-only": { type: "boolean", default: false },
  },
})
if (!opt["zastro-entry"] || !opt["ws-server"]) {
  console.error("usage: node runtime.mjs --zastro-entry ENTRY --ws-server FILE [--rounds N] [--seconds S] [--json]")
  process.exit(2)
}
const rounds = Number(opt.rounds)
const seconds = Number(opt.seconds)
const connections = Number(opt.connections)
const concurrency = Number(opt.concurrency)
const idle = Number(opt.idle)
const log = (...a) => console.error(...a)

// ------------------------------------------------------------------ servers

const memDir = mkdtempSync(join(tmpdir(), "zastro-bench-mem-"))
const children = []

async function startServer(name, file, port, path) {
  const child = spawn(process.execPath, ["--expose-gc", "--import", pathToFileURL(resolve(opt["gc-hook"])).href, resolve(file)], {
    env: { ...process.env, HOST: "127.0.0.1", PORT: String(port), ZASTRO_BENCH_MEM_DIR: memDir, NODE_ENV: "production" },
    stdio: ["ignore", "pipe", "pipe"],
  })
  children.push(child)
  let output = ""
  child.stdout.on("data", (d) => (output += d))
  child.stderr.on("data", (d) => (output += d))
  const exited = new Promise((res) => child.once("exit", (code) => res(code)))
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    const status = await httpStatus(port, path, 1000)
    if (status === 426) return { name, child, url: `ws://127.0.0.1:${port}${path}` }
    if (await Promise.race([exited.then(() => true), sleep(200).then(() => false)])) break
  }
  throw new Error(`${name} (${file}) did not answer 426 on ${path}:\n${output}`)
}

function stopAll() {
  for (const c of children) if (c.exitCode === null) c.kill("SIGTERM")
  rmSync(memDir, { recursive: true, force: true })
}
process.on("exit", stopAll)
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(130))

async function memory(server) {
  const file = join(memDir, `${server.child.pid}.json`)
  rmSync(file, { force: true })
  server.child.kill("SIGUSR2")
  for (let i = 0; i < 100; i++) {
    if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8"))
    await sleep(50)
  }
  throw new Error(`${server.name}: no memory report (is gc-hook.mjs preloaded?)`)
}

// ------------------------------------------------------------------ clients

async function openMany(url, n) {
  const out = []
  for (let i = 0; i < n; i += 100) {
    out.push(...(await Promise.all(Array.from({ length: Math.min(100, n - i) }, () => open(url)))))
  }
  return out
}

// CPU time of a process, all its threads (V8's GC helpers included), in µs:
// from the scheduler's own count in /proc/<pid>/task/*/schedstat, exact to
// the nanosecond, else user + system time from /proc/<pid>/stat, which the
// kernel counts in 10 ms ticks; undefined where there is no /proc.
function cpuMicros(pid) {
  try {
    let ns = 0
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8").split(" ")[0])
      } catch {
        // the thread ended meanwhile
      }
    }
    if (ns > 0) return ns / 1000
  } catch {
    // no schedstat: the tick count below
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return (Number(fields[11]) + Number(fields[12])) * 10_000 // utime, stime (fields 14 and 15), ticks of 10 ms
  } catch {
    return undefined
  }
}

function percentile(values, p) {
  if (values.length === 0) return NaN
  const sorted = Float64Array.from(values).sort()
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}

// Round trips per second: each connection keeps one message in flight. Also
// the server's CPU time per round trip and the p99 of the round-trip times.
// The servers take turns in slices of SLICE_MS (one server's connections
// busy at a time), so that both see the same machine: a change in the load
// of a shared machine lasts longer than a slice and falls on both alike.
const SLICE_MS = 250

async function echoPair(servers, secs) {
  const payload = "x".repeat(32)
  const runs = []
  for (const server of servers) {
    runs.push({ server, sockets: await openMany(server.url, connections), latencies: [], count: 0, ms: 0, cpu: 0 })
  }
  const slices = Math.max(2, Math.round((secs * 1000) / SLICE_MS))
  for (let i = 0; i < slices; i++) {
    // ABBA order: neither server always goes first after the other.
    const order = (i >> 1) % 2 === 0 ? runs : [...runs].reverse()
    const run = order[i % 2 === 0 ? 0 : 1] ?? order[0]
    const cpuBefore = cpuMicros(run.server.child.pid)
    const start = performance.now()
    const deadline = start + SLICE_MS
    await Promise.all(
      run.sockets.map(
        (ws) =>
          new Promise((res) => {
            let sentAt = performance.now()
            const onMessage = () => {
              const now = performance.now()
              run.latencies.push(now - sentAt)
              run.count++
              if (now < deadline) {
                sentAt = now
                ws.send(payload)
              } else {
                ws.off("message", onMessage)
                res()
              }
            }
            ws.on("message", onMessage)
            ws.send(payload)
          }),
      ),
    )
    run.ms += performance.now() - start
    const cpuAfter = cpuMicros(run.server.child.pid)
    run.cpu = cpuBefore === undefined || cpuAfter === undefined ? NaN : run.cpu + (cpuAfter - cpuBefore)
  }
  const out = new Map()
  for (const run of runs) {
    await Promise.all(run.sockets.map(close))
    out.set(run.server, {
      rate: run.count / (run.ms / 1000),
      cpuPerRoundTrip: run.cpu / run.count,
      p99: percentile(run.latencies, 99),
    })
  }
  return out
}

// Handshakes per second: open, then close, `concurrency` at a time.
async function handshakes(server, secs) {
  let count = 0
  const cpuBefore = cpuMicros(server.child.pid)
  const start = performance.now()
  const deadline = start + secs * 1000
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const ws = await open(server.url)
        count++
        await close(ws)
      }
    }),
  )
  return { rate: count / ((performance.now() - start) / 1000), cpu: cpuPerOp(server, cpuBefore, count) }
}

// Server CPU time per operation since `before`, in µs.
function cpuPerOp(server, before, count) {
  const after = cpuMicros(server.child.pid)
  return before === undefined || after === undefined ? NaN : (after - before) / count
}

// Plain GETs per second on the WebSocket path (the route answers 426), a new
// TCP connection each, `concurrency` at a time: what a handshake costs
// without its WebSocket part.
function plainGet(url) {
  return new Promise((res, rej) => {
    const req = request(url.replace(/^ws/, "http"), { agent: false, headers: { connection: "close" } }, (r) => {
      r.resume()
      r.once("end", () => (r.statusCode === 426 ? res() : rej(new Error(`${url}: HTTP ${r.statusCode}, want 426`))))
    })
    req.once("error", rej)
    req.end()
  })
}

async function gets(server, secs) {
  let count = 0
  const cpuBefore = cpuMicros(server.child.pid)
  const start = performance.now()
  const deadline = start + secs * 1000
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        await plainGet(server.url)
        count++
      }
    }),
  )
  return { rate: count / ((performance.now() - start) / 1000), cpu: cpuPerOp(server, cpuBefore, count) }
}

// Bytes per idle connection, after a full GC on both sides of the count.
async function idleMemory(server) {
  await sleep(200)
  const before = await memory(server)
  const sockets = await openMany(server.url, idle)
  await sleep(500)
  const after = await memory(server)
  await Promise.all(sockets.map(close))
  return {
    heap: (after.heapUsed + after.external - before.heapUsed - before.external) / idle,
    rss: (after.rss - before.rss) / idle,
  }
}

// ------------------------------------------------------------------ run

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

const zastro = await startServer(opt.label, opt["zastro-entry"], 4400 + (process.pid % 500), "/api/echo")
const plain = await startServer("ws", opt["ws-server"], 4900 + (process.pid % 500), opt["ws-path"])
const servers = [zastro, plain]
log(`bench: ${zastro.name} ${zastro.url} vs ws ${plain.url}; ${rounds} rounds, ${seconds} s per measure, ${connections} echo connections, ${concurrency} handshakes at a time, ${idle} idle connections`)

// Warm up the JIT of both servers on both paths before measuring.
await echoPair(servers, 2)
for (const s of opt["echo-only"] ? [] : servers) {
  await handshakes(s, 1)
  await gets(s, 0.5)
}

const samples = Object.fromEntries(servers.map((s) => [s.name, { echo: [], cpu: [], p99: [], handshakes: [], hsCpu: [], gets: [], getCpu: [], heap: [], rss: [] }]))
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? servers : [...servers].reverse()
  const pair = await echoPair(order, seconds)
  for (const s of servers) {
    const e = pair.get(s)
    samples[s.name].echo.push(e.rate)
    samples[s.name].cpu.push(e.cpuPerRoundTrip)
    samples[s.name].p99.push(e.p99)
  }
  if (opt["echo-only"]) {
    for (const s of servers) for (const key of ["handshakes", "hsCpu", "gets", "getCpu", "heap", "rss"]) samples[s.name][key].push(NaN)
    log(`round ${r + 1}/${rounds}: ` + servers.map((s) => `${s.name} ${Math.round(samples[s.name].echo.at(-1))} rt/s ${samples[s.name].p99.at(-1).toFixed(2)} ms p99`).join(" | "))
    continue
  }
  for (const s of order) {
    const h = await handshakes(s, seconds)
    samples[s.name].handshakes.push(h.rate)
    samples[s.name].hsCpu.push(h.cpu)
  }
  for (const s of order) {
    const g = await gets(s, seconds / 2)
    samples[s.name].gets.push(g.rate)
    samples[s.name].getCpu.push(g.cpu)
  }
  for (const s of order) {
    const m = await idleMemory(s)
    samples[s.name].heap.push(m.heap)
    samples[s.name].rss.push(m.rss)
  }
  log(
    `round ${r + 1}/${rounds}: ` +
      servers
        .map((s) => {
          const x = samples[s.name]
          return `${s.name} ${Math.round(x.echo.at(-1))} rt/s ${x.p99.at(-1).toFixed(2)} ms p99 ${Math.round(x.handshakes.at(-1))} hs/s ${Math.round(x.gets.at(-1))} GET/s ${(x.heap.at(-1) / 1024).toFixed(1)} KiB`
        })
        .join(" | "),
  )
}

// Figures per server are medians over the rounds; ratios are the medians of
// the per-round ratios (both servers measured back to back in each round).
const result = {}
for (const s of servers) {
  const x = samples[s.name]
  result[s.name] = {
    echo_round_trips_per_s: median(x.echo),
    cpu_us_per_round_trip: median(x.cpu),
    p99_echo_ms: median(x.p99),
    handshakes_per_s: median(x.handshakes),
    cpu_us_per_handshake: median(x.hsCpu),
    plain_gets_per_s: median(x.gets),
    cpu_us_per_plain_get: median(x.getCpu),
    heap_bytes_per_idle_connection: median(x.heap),
    rss_bytes_per_idle_connection: median(x.rss),
  }
}
const z = result[zastro.name]
const w = result.ws
const zs = samples[zastro.name]
const ws = samples.ws
const perRound = (key) => median(zs[key].map((v, i) => v / ws[key][i]))
const ratios = {
  echo_round_trips_per_s: perRound("echo"),
  cpu_per_round_trip: perRound("cpu"),
  p99_echo: perRound("p99"),
  handshakes_per_s: perRound("handshakes"),
  cpu_per_handshake: perRound("hsCpu"),
  plain_gets_per_s: perRound("gets"),
  cpu_per_plain_get: perRound("getCpu"),
  heap_bytes_per_idle_connection: perRound("heap"),
}
// Where a handshake's server CPU goes, in µs: what ws alone spends on one
// (connection, HTTP parsing, upgrade, close), what the route pipeline adds (a
// plain GET to the route, zastro minus the bare server) and what the upgrade
// plumbing adds (handshake minus GET, zastro minus ws).
const split = {
  ws_handshake_us: w.cpu_us_per_handshake,
  route_pipeline_us: z.cpu_us_per_plain_get - w.cpu_us_per_plain_get,
  upgrade_plumbing_us: z.cpu_us_per_handshake - z.cpu_us_per_plain_get - (w.cpu_us_per_handshake - w.cpu_us_per_plain_get),
}

const int = (n) => Math.round(n).toLocaleString("en-US")
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`
const rows = [
  ["echo round-trips/s", int(z.echo_round_trips_per_s), int(w.echo_round_trips_per_s), ratios.echo_round_trips_per_s],
  ["server CPU per round trip", `${z.cpu_us_per_round_trip.toFixed(1)} µs`, `${w.cpu_us_per_round_trip.toFixed(1)} µs`, ratios.cpu_per_round_trip],
  ["p99 echo latency", `${z.p99_echo_ms.toFixed(2)} ms`, `${w.p99_echo_ms.toFixed(2)} ms`, ratios.p99_echo],
  ["handshakes/s", int(z.handshakes_per_s), int(w.handshakes_per_s), ratios.handshakes_per_s],
  ["server CPU per handshake", `${int(z.cpu_us_per_handshake)} µs`, `${int(w.cpu_us_per_handshake)} µs`, ratios.cpu_per_handshake],
  ["plain GETs/s (new connection each)", int(z.plain_gets_per_s), int(w.plain_gets_per_s), ratios.plain_gets_per_s],
  ["server CPU per plain GET", `${int(z.cpu_us_per_plain_get)} µs`, `${int(w.cpu_us_per_plain_get)} µs`, ratios.cpu_per_plain_get],
  ["memory per idle connection", kib(z.heap_bytes_per_idle_connection), kib(w.heap_bytes_per_idle_connection), ratios.heap_bytes_per_idle_connection],
]
const out = [
  `| metric (median of ${rounds} rounds) | ${zastro.name} | ws | ratio |`,
  "| --- | ---: | ---: | ---: |",
  ...rows.filter(([, , , r]) => !Number.isNaN(r)).map(([m, a, b, r]) => `| ${m} | ${a} | ${b} | ${r.toFixed(2)}× |`),
]
if (!opt["echo-only"]) {
  out.push(
    "",
    `server CPU per handshake: ws ${int(split.ws_handshake_us)} µs, + route pipeline ${int(split.route_pipeline_us)} µs, ` +
      `+ upgrade plumbing ${int(split.upgrade_plumbing_us)} µs`,
  )
}
if (opt.json) {
  console.log(JSON.stringify({ node: process.version, rounds, seconds, connections, concurrency, idle, results: result, ratios, split, samples }, null, 2))
} else {
  console.log(out.join("\n"))
}
const fixed = (n) => (Number.isFinite(n) ? n.toFixed(2) : "NaN")
if (opt.summary !== "no") console.log(
  `throughput_ratio=${fixed(ratios.echo_round_trips_per_s)} cpu_per_rt_ratio=${fixed(ratios.cpu_per_round_trip)} ` +
    `handshake_ratio=${fixed(ratios.handshakes_per_s)} mem_ratio=${fixed(ratios.heap_bytes_per_idle_connection)} p99_ratio=${fixed(ratios.p99_echo)}`,
)
stopAll()
process.exit(0)
