// The worker entry of @astrojs/cloudflare 12.x with a Durable Object, through
// the adapter's own `workerEntryPoint` option (adapter-options.mjs): Astro
// builds this file into dist/_worker.js/index.js; requests are served by the
// adapter's `handle`, and the room class is a named export beside it.
import type { SSRManifest } from "astro";
import { App } from "astro/app";
import { handle } from "zastro-websockets-cloudflare/handler";
import { TestRoom } from "./rooms/test-room";

type Handle = typeof handle;

export function createExports(manifest: SSRManifest) {
  const app = new App(manifest);
  const fetch = (request: Parameters<Handle>[2], env: Parameters<Handle>[3], ctx: Parameters<Handle>[4]) =>
    handle(manifest, app, request, env, ctx);
  return { default: { fetch }, TestRoom };
}
