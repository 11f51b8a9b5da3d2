// The worker entry of @astrojs/cloudflare 10.x to 12.x with a Durable Object:
// wrangler's `main` re-exports what `astro build` wrote and adds the class
// (wrangler bundles this file). On 12.x the adapter's `workerEntryPoint`
// option does the same inside the Astro build.
export { default } from "./dist/_worker.js/index.js";
export { TestRoom } from "./src/rooms/test-room.ts";
