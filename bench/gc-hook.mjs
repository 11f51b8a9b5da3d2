// Preloaded into both servers (node --expose-gc --import ./gc-hook.mjs): on
// SIGUSR2 the server collects garbage (until finalizers have run) and writes
// process.memoryUsage() to $ZASTRO_BENCH_MEM_DIR/<pid>.json, so the driver
// measures both servers the same way, from outside.
import { writeFileSync, renameSync } from "node:fs"
import { join } from "node:path"

const dir = process.env.ZASTRO_BENCH_MEM_DIR
if (dir && typeof globalThis.gc === "function") {
  process.on("SIGUSR2", async () => {
    // Several rounds, with turns of the event loop between them, so that
    // weak callbacks and finalizers (undici's request signals, for one) have
    // run and their objects are gone before the figure is read.
    for (let i = 0; i < 4; i++) {
      globalThis.gc()
      await new Promise((resolve) => setImmediate(resolve))
    }
    globalThis.gc()
    const file = join(dir, `${process.pid}.json`)
    writeFileSync(`${file}.tmp`, JSON.stringify({ at: Date.now(), ...process.memoryUsage() }))
    renameSync(`${file}.tmp`, file)
  })
}
