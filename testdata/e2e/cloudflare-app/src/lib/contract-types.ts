// Type-level half of the runtime contract, checked by `tsc --noEmit` in the
// e2e "types" step (never imported by a page). With
// zastro-websockets-cloudflare installed, App.Locals must carry both members,
// fully typed (no `any`), beside upstream's own (variants/*/src/lib).
import type { APIContext } from "astro";

type IsAny<T> = 0 extends 1 & T ? true : false;
type Assert<T extends true> = T;
type NotAny<T> = IsAny<T> extends true ? false : true;

type Locals = APIContext["locals"];
type Upgrade = ReturnType<Locals["upgradeWebSocket"]>;
type ServerSocket = Upgrade["socket"];

export type ContractTypes = [
  Assert<NotAny<Locals["isUpgradeRequest"]>>,
  Assert<Locals["isUpgradeRequest"] extends boolean ? true : false>,
  Assert<NotAny<Locals["upgradeWebSocket"]>>,
  Assert<NotAny<Upgrade>>,
  Assert<NotAny<ServerSocket>>,
  Assert<Upgrade["response"] extends Response ? true : false>,
  Assert<ServerSocket["readyState"] extends number ? true : false>,
  Assert<"blob" extends ServerSocket["binaryType"] ? true : false>,
  Assert<"arraybuffer" extends ServerSocket["binaryType"] ? true : false>,
];

export function usage(ctx: APIContext): Response {
  if (!ctx.locals.isUpgradeRequest) return new Response("Upgrade required", { status: 426 });
  const { socket, response } = ctx.locals.upgradeWebSocket({ protocol: "chat.v2" });
  socket.binaryType = "arraybuffer";
  socket.onopen = () => socket.send("open");
  socket.onmessage = (event) => {
    const data: unknown = event.data;
    if (typeof data === "string") socket.send(data);
  };
  socket.onclose = (event) => void [event.code, event.reason, event.wasClean];
  socket.send(new Uint8Array(1));
  if (socket.readyState === socket.OPEN) socket.close(1000, "done");
  return response;
}
