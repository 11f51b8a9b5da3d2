// Upstream's members stay beside zastro's (13.x on: locals.cfContext, typed
// by upstream from the Workers types that `wrangler types` generates; this
// project does not generate them, so only the member itself is checked).
import type { APIContext } from "astro";

type Assert<T extends true> = T;
type Locals = APIContext["locals"];

export type RuntimeTypes = [
  Assert<"cfContext" extends keyof Locals ? true : false>,
  Assert<Locals["isUpgradeRequest"] extends boolean ? true : false>,
];
