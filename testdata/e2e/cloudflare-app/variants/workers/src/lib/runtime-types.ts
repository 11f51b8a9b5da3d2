// Upstream's members stay beside zastro's (13.x on: locals.cfContext).
import type { APIContext } from "astro";

type IsAny<T> = 0 extends 1 & T ? true : false;
type Assert<T extends true> = T;
type Locals = APIContext["locals"];

export type RuntimeTypes = [
  Assert<IsAny<Locals["cfContext"]> extends true ? false : true>,
  Assert<Locals["cfContext"] extends { waitUntil(promise: Promise<unknown>): void } ? true : false>,
  Assert<Locals["isUpgradeRequest"] extends boolean ? true : false>,
];
