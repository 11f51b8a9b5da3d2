// Instructions per echo round trip and per handshake: each server runs under
// valgrind's callgrind, which counts every instruction the server process
// executes (all its threads) and is not moved by the load of a shared
// machine, unlike a time. The two servers are measured one after the other
// with the same client workload:
//
//   1. warm-up, not counted: handshakes (open, then close, 8 at a time) and
//      echo round trips, so that V8 has compiled the paths;
//   2. counted: C connections each doing M echo round trips (one 32-byte
//      text message in flight per connection);
//   3. counted: one connection doing S echo round trips. Each message is a
//      turn of the server's event loop of its own, in a normal run as under
//      valgrind; with C connections, valgrind's slowness lets more messages
//      wait for each turn than a normal run does, which shares out a cost
//      paid once per turn more widely than it is;
//   4. counted: H handshakes.
//
// Reported per server: instructions per round trip and per handshake, with
// and without V8's optimizing compilers (under callgrind, V8 keeps compiling
// in the background during the counted part, which a normal run of the same
// workload does not: `--trace-opt` shows no compilation there), and the
// ratios zastro / ws of the figures without the compilers. The last line is
// `instructions_per_rt_ratio=.. instructions_per_rt_one_connection_ratio=..
// instructions_per_handshake_ratio=..`.
//
//   node instructions.mjs --zastro-entry ENTRY --ws-server FILE [--connections C]
//     [--messages M] [--single-messages S] [--handshakes H]
//
// Run by `bench/run.sh --instructions` from the app folder (it imports `ws`
// from there); needs valgrind (scripts/debian-tool.sh installs it).
import { execFileSync, spawn } from "node:child_process"
import { mkdtempSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { parseArgs } from "node:util"
import { setTimeout as sleep } from "node:timers/promises"
import { close, httpStatus, open } from "./ws-client.mjs"

const { values: opt } = parseArgs({
  options: {
    "zastro-entry": { type: "string" },
    "ws-server": { type: "string" },
    label: { type: "string", default: "zastro-websockets-node" },
    valgrind: { type: "string", default: "valgrind" },
    connections: { type: "string", default: "16" },
    messages: { type: "string", default: "1000" },
    "single-messages": { type: "string", default: "4000" },
    handshakes: { type: "string", default: "300" },
    "warmup-messages": { type: "string", default: "3000" },
    "warmup-handshakes": { type: "string", default: "1000" },
    // seconds a server may take to answer its first request under valgrind
    "start-timeout": { type: "string", default: "300" },
    summary: { type: "string", default: "yes" },
  },
})
if (!opt["zastro-entry"] || !opt["ws-server"]) {
  console.error("usage: node instructions.mjs --zastro-entry ENTRY --ws-server FILE [--connections C] [--messages M] [--single-messages S] [--handshakes H]")
  process.exit(2)
}
const connections = Number(opt.connections)
const messages = Number(opt.messages)
const singleMessages = Number(opt["single-messages"])
const handshakes = Number(opt.handshakes)
const log = (...a) => console.error(...a)

// V8's optimizing compilers (TurboFan, Turboshaft, Maglev) and the jobs that run them.
const COMPILER = /v8::internal::(compiler|maglev)::|OptimizedCompilationJob|OptimizingCompile|Turboshaft|Maglev/

const outDir = mkdtempSync(join(tmpdir(), "zastro-bench-callgrind-"))
const children = new Set()
process.on("exit", () => {
  for (const c of children) c.kill("SIGKILL")
  rmSync(outDir, { recursive: true, force: true })
})
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(130))

// vgdb, which callgrind_control uses, finds a valgrind process by the user
// and HOST it was started with: both sides get the same.
const vgEnv = { ...process.env, HOST: "127.0.0.1", USER: process.env.USER ?? "bench", LOGNAME: process.env.LOGNAME ?? "bench" }

function callgrindControl(pid, ...args) {
  execFileSync("callgrind_control", [...args, String(pid)], { env: vgEnv, stdio: ["ignore", "ignore", "pipe"], timeout: 120_000 })
}

async function start(name, file, port, path) {
  const out = join(outDir, name)
  const child = spawn(
    opt.valgrind,
    ["--tool=callgrind", "--smc-check=all-non-file", "--instr-atstart=no", `--callgrind-out-file=${out}`, process.execPath, resolve(file)],
    { env: { ...vgEnv, PORT: String(port), NODE_ENV: "production" }, stdio: ["ignore", "ignore", "pipe"] },
  )
  children.add(child)
  let stderr = ""
  child.stderr.on("data", (d) => (stderr = (stderr + d).slice(-4000)))
  const exited = new Promise((res) => child.once("exit", res))
  const deadline = Date.now() + Number(opt["start-timeout"]) * 1000
  while (Date.now() < deadline) {
    if ((await httpStatus(port, path, 5000)) === 426) return { name, child, out, exited, url: `ws://127.0.0.1:${port}${path}` }
    if (await Promise.race([exited.then(() => true), sleep(500).then(() => false)])) break
  }
  throw new Error(`${name} (${file}) under valgrind did not answer 426 on ${path}:\n${stderr}`)
}

async function echo(url, count, perConnection) {
  const sockets = await Promise.all(Array.from({ length: count }, () => open(url)))
  const payload = "x".repeat(32)
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise((res, rej) => {
          let left = perConnection
          ws.on("message", () => (--left > 0 ? ws.send(payload) : res()))
          ws.once("close", () => left > 0 && rej(new Error(`${url}: closed with ${left} round trips left`)))
          ws.send(payload)
        }),
    ),
  )
  await Promise.all(sockets.map(close))
}

async function handshakeRun(url, n) {
  let left = n
  const worker = async () => {
    while (left-- > 0) await close(await open(url))
  }
  await Promise.all(Array.from({ length: 8 }, worker))
}

// Self instructions of every function of a dump, from callgrind_annotate.
function countDump(file) {
  const text = execFileSync("callgrind_annotate", ["--threshold=100", file], { maxBuffer: 1 << 28 }).toString()
  let total = 0
  let compiler = 0
  for (const line of text.split("\n")) {
    const m = /^\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)$/.exec(line)
    if (!m || m[2].startsWith("PROGRAM TOTALS")) continue
    const n = Number(m[1].replaceAll(",", ""))
    total += n
    if (COMPILER.test(m[2])) compiler += n
  }
  return { total, compiler }
}

function dumpOf(server, index) {
  const prefix = `${server.name}.`
  const file = readdirSync(outDir)
    .filter((f) => f.startsWith(prefix) && f.endsWith(`.${index}`))
    .pop()
  if (!file) throw new Error(`${server.name}: callgrind wrote no dump ${index}`)
  return join(outDir, file)
}

async function measure(name, file, port, path) {
  log(`instructions: ${name} (${file}) under callgrind`)
  const s = await start(name, file, port, path)
  await handshakeRun(s.url, Number(opt["warmup-handshakes"]))
  await echo(s.url, connections, Number(opt["warmup-messages"]))
  callgrindControl(s.child.pid, "--instr=on")
  await echo(s.url, connections, messages)
  callgrindControl(s.child.pid, "--dump=echo")
  await echo(s.url, 1, singleMessages)
  callgrindControl(s.child.pid, "--dump=single")
  await handshakeRun(s.url, handshakes)
  callgrindControl(s.child.pid, "--dump=handshakes")
  callgrindControl(s.child.pid, "--instr=off")
  s.child.kill("SIGTERM")
  await s.exited
  children.delete(s.child)
  // Dumps are numbered from 1 in the order asked for; the final one at exit is empty.
  const rt = countDump(dumpOf(s, 1))
  const one = countDump(dumpOf(s, 2))
  const hs = countDump(dumpOf(s, 3))
  const rts = connections * messages
  return {
    name,
    perRt: (rt.total - rt.compiler) / rts,
    perRtAll: rt.total / rts,
    perRtOne: (one.total - one.compiler) / singleMessages,
    perHs: (hs.total - hs.compiler) / handshakes,
    perHsAll: hs.total / handshakes,
  }
}

const a = await measure(opt.label, opt["zastro-entry"], 4600 + (process.pid % 200), "/api/echo")
const b = await measure("ws", opt["ws-server"], 4800 + (process.pid % 200), "/")

const fmt = (n) => Math.round(n).toLocaleString("en-US")
const ratio = (x, y) => (x / y).toFixed(2)
console.log(`| instructions (callgrind), ${connections}×${messages} round trips, 1×${singleMessages}, ${handshakes} handshakes | ${a.name} | ws | ratio |`)
console.log("| --- | ---: | ---: | ---: |")
console.log(`| per echo round trip | ${fmt(a.perRt)} | ${fmt(b.perRt)} | ${ratio(a.perRt, b.perRt)}× |`)
console.log(`| per echo round trip, V8's compilers included | ${fmt(a.perRtAll)} | ${fmt(b.perRtAll)} | ${ratio(a.perRtAll, b.perRtAll)}× |`)
console.log(`| per echo round trip, one connection | ${fmt(a.perRtOne)} | ${fmt(b.perRtOne)} | ${ratio(a.perRtOne, b.perRtOne)}× |`)
console.log(`| per handshake | ${fmt(a.perHs)} | ${fmt(b.perHs)} | ${ratio(a.perHs, b.perHs)}× |`)
console.log(`| per handshake, V8's compilers included | ${fmt(a.perHsAll)} | ${fmt(b.perHsAll)} | ${ratio(a.perHsAll, b.perHsAll)}× |`)
if (opt.summary === "yes") {
  console.log(
    `instructions_per_rt_ratio=${ratio(a.perRt, b.perRt)} instructions_per_rt_one_connection_ratio=${ratio(a.perRtOne, b.perRtOne)} instructions_per_handshake_ratio=${ratio(a.perHs, b.perHs)}`,
  )
}
