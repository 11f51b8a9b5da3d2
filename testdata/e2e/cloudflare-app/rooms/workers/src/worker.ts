// The worker entry of @astrojs/cloudflare 13.x on with a Durable Object: the
// wrangler config's `main` points here; requests are served by the adapter's
// own `handle`, and the room class is exported beside it.
import { handle } from "zastro-websockets-cloudflare/handler";

export default { fetch: handle };
export { TestRoom } from "./rooms/test-room";
