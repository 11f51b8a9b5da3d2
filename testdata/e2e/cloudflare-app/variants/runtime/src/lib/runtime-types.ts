// Upstream's members stay beside zastro's (10.x to 12.x: locals.runtime).
import type { APIContext } from "astro";

type IsAny<T> = 0 extends 1 & T ? true : false;
type Assert<T extends true> = T;
type Locals = APIContext["locals"];

export type RuntimeTypes = [
  Assert<IsAny<Locals["runtime"]> extends true ? false : true>,
  Assert<Locals["runtime"]["env"]["ZASTRO_GREETING"] extends string ? true : false>,
  Assert<Locals["isUpgradeRequest"] extends boolean ? true : false>,
];
