// Middleware-mode host: the user's own node:http server mounting Astro's
// `handler`, plus the `upgradeHandler` that zastro-websockets-node exports beside
// it for WebSocket upgrades (plain @astrojs/node has none).
//
//   HOST=127.0.0.1 PORT=4321 ZASTRO_ENTRY=./dist-middleware/server/entry.mjs node server.mjs
import http from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";

const host = process.env.HOST ?? "127.0.0.1";
const port = Number(process.env.PORT ?? 4321);
const entry = path.resolve(process.env.ZASTRO_ENTRY ?? "./dist-middleware/server/entry.mjs");

const mod = await import(pathToFileURL(entry).href);
const { handler, upgradeHandler } = mod;
if (typeof handler !== "function") {
  console.error(`server.mjs: ${entry} exports no handler (was it built with mode "middleware"?)`);
  process.exit(1);
}
if (mod.options?.mode && mod.options.mode !== "middleware") {
  console.error(`server.mjs: ${entry} was built with mode ${JSON.stringify(mod.options.mode)}, not "middleware"`);
  process.exit(1);
}

const server = http.createServer((req, res) => {
  // What the host does with requests Astro hands back (next()).
  handler(req, res, (err) => {
    if (res.headersSent) return res.end();
    res.statusCode = err ? 500 : 404;
    res.setHeader("x-host", "server.mjs");
    res.end(err ? `host error: ${err?.message ?? err}` : "not found by the host");
  });
});

if (typeof upgradeHandler === "function") {
  server.on("upgrade", upgradeHandler);
  console.log("server.mjs: upgradeHandler mounted");
} else {
  console.log("server.mjs: the entry exports no upgradeHandler; upgrades are not handled");
}

server.listen(port, host, () => {
  console.log(`server.mjs: listening on http://${host}:${port}`);
});

for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    server.closeAllConnections?.();
    server.close(() => process.exit(0));
  });
}
