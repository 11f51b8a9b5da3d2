// Preloaded into both servers (node --expose-gc --import ./gc-hook.mjs): on
// SIGUSR2 the server collects garbage and writes process.memoryUsage() to
// $ZASTRO_BENCH_MEM_DIR/<pid>.json, so the driver measures both servers the
// same way, from outside.
import { writeFileSync, renameSync } from "node:fs"
import { join } from "node:path"

const dir = process.env.ZASTRO_BENCH_MEM_DIR
if (dir && typeof globalThis.gc === "function") {
  process.on("SIGUSR2", () => {
    globalThis.gc()
    globalThis.gc()
    const file = join(dir, `${process.pid}.json`)
    writeFileSync(`${file}.tmp`, JSON.stringify({ at: Date.now(), ...process.memoryUsage() }))
    renameSync(`${file}.tmp`, file)
  })
}
