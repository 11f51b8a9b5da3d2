/// <reference path="../.astro/types.d.ts" />
// As @astrojs/cloudflare 10.x to 12.x documents it: locals.runtime typed from
// the adapter's Runtime; zastro's members come with the package's types.
// ROOMS: the Durable Object namespace of the rooms (what `wrangler types`
// would generate, reduced to what the route uses).
type RoomNamespace = {
  idFromName(name: string): unknown;
  get(id: unknown): import("zastro-websockets-cloudflare/room").RoomStub;
};
type Env = { ZASTRO_GREETING: string; ROOMS: RoomNamespace };
type Runtime = import("zastro-websockets-cloudflare").Runtime<Env>;

declare namespace App {
  interface Locals extends Runtime {}
}
