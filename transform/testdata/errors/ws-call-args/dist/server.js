// handler no longer receives the options: the upgrade handler could not read
// the websocket settings.
import * as options from "virtual:astro-node:config";
const app = createApp();
const handler = createStandaloneHandler(app);
export { handler, options };
