import { createServer } from "./standalone.js";
// The preview server is returned without being bound to a variable.
const createPreviewServer = async (preview) => {
  const entry = await import(preview.serverEntrypoint.toString());
  return createServer(entry.handler, preview.host, preview.port);
};
export { createPreviewServer as default };
