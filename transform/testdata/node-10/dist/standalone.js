import http from "node:http";
import { createAppHandler } from "./serve-app.js";
const hostOptions = (host) => typeof host === "boolean" ? host ? "0.0.0.0" : "localhost" : host;
function standalone(app, options, headersMap) {
  const port = process.env.PORT ? Number(process.env.PORT) : options.port ?? 8080;
  const host = process.env.HOST ?? hostOptions(options.host);
  const resolvedOptions = { ...options, port };
  const handler = createStandaloneHandler(app, resolvedOptions, headersMap);
  const server = createServer(handler, host, port);
  server.server.listen(port, host);
  return {
    server,
    done: server.closed()
  };
}
function createStandaloneHandler(app, options, headersMap) {
  const appHandler = createAppHandler(app, options);
  return (req, res) => {
    if (headersMap) res.setHeader("x-fixture", "1");
    appHandler(req, res);
  };
}
function createServer(listener, host, port) {
  const httpServer = http.createServer(listener);
  const closed = new Promise((resolve) => httpServer.once("close", resolve));
  return {
    server: httpServer,
    host,
    port,
    closed: () => closed
  };
}
function restartForTests(app, options) {
  // another server in the same file: only the one inside standalone() is wired
  const server = createServer(createStandaloneHandler(app, options), "localhost", 0);
  return server;
}
export {
  createServer,
  createStandaloneHandler,
  standalone as default,
  hostOptions,
  restartForTests
};
