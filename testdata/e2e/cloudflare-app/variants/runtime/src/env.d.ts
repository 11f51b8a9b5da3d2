/// <reference path="../.astro/types.d.ts" />
// As @astrojs/cloudflare 10.x to 12.x documents it: locals.runtime typed from
// the adapter's Runtime; zastro's members come with the package's types.
type Env = { ZASTRO_GREETING: string };
type Runtime = import("zastro-websockets-cloudflare").Runtime<Env>;

declare namespace App {
  interface Locals extends Runtime {}
}
