// Middleware-mode host on Express, as the README shows it: Astro's `handler`
// as Express middleware and the `upgradeHandler` on the HTTP server that
// app.listen() returns.
//
//   HOST=127.0.0.1 PORT=4321 ZASTRO_ENTRY=./dist-middleware/server/entry.mjs node server-express.mjs
import path from "node:path";
import { pathToFileURL } from "node:url";
import express from "express";

const host = process.env.HOST ?? "127.0.0.1";
const port = Number(process.env.PORT ?? 4321);
const entry = path.resolve(process.env.ZASTRO_ENTRY ?? "./dist-middleware/server/entry.mjs");
const { handler, upgradeHandler } = await import(pathToFileURL(entry).href);

const app = express();
app.use(express.static(path.join(path.dirname(entry), "../client/")));
app.use(handler);
app.use((req, res) => {
  res.status(404).set("x-host", "server-express.mjs").send("not found by the host");
});

const server = app.listen(port, host, () => {
  console.log(`server-express.mjs: listening on http://${host}:${port}`);
});
if (typeof upgradeHandler === "function") server.on("upgrade", upgradeHandler);

for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    server.closeAllConnections?.();
    server.close(() => process.exit(0));
  });
}
