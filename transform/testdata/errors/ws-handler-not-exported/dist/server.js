// handler is made at the top level but no longer exported: an upgrade handler
// beside it would not reach the user's server either.
import * as options from "virtual:astro-node:config";
import { createStandaloneHandler } from "./standalone.js";
const app = createApp();
const handler = createStandaloneHandler(app, options);
const startServer = () => handler;
export {
  options,
  startServer
};
