import { createApp } from "astro/app/entrypoint";
import * as options from "virtual:astro-node:config";
import createMiddleware from "./middleware.js";
import _startServer, { createStandaloneHandler } from "./standalone.js";
const app = createApp();
const headersMap = void 0;
const handler = options.mode === "middleware" ? createMiddleware(app, options) : createStandaloneHandler(app, options, headersMap);
const startServer = () => _startServer(app, options, headersMap);
if (options.mode === "standalone" && process.env.ASTRO_NODE_AUTOSTART !== "disabled") {
  startServer();
}
export {
  handler,
  options,
  startServer
};
