import { createServer } from "./standalone.js";
const createPreviewServer = async (preview) => {
  let ssrHandler;
  process.env.ASTRO_NODE_AUTOSTART = "disabled";
  const ssrModule = await import(preview.serverEntrypoint.toString());
  if (typeof ssrModule.handler === "function") {
    ssrHandler = ssrModule.handler;
  } else {
    throw new Error("The server entrypoint has no handler.");
  }
  const host = process.env.HOST ?? preview.host ?? "0.0.0.0";
  const port = preview.port ?? 4321;
  const server = createServer(ssrHandler, host, port);
  await new Promise((resolve, reject) => {
    server.server.once("listening", resolve);
    server.server.once("error", reject);
    server.server.listen(port, host);
  });
  return server;
};
export {
  createPreviewServer as default
};
