import type { APIRoute } from "astro";

export const prerender = false;

function kindOf(data: unknown): string {
  if (typeof data === "string") return "string";
  if (typeof Blob !== "undefined" && data instanceof Blob) return "blob";
  if (data instanceof ArrayBuffer) return "arraybuffer";
  return Object.prototype.toString.call(data);
}

// How the last sockets closed, by ?id=, for the client-close test (one
// isolate serves the whole test in wrangler dev and astro dev).
const closes = new Map<string, { code: number; reason: string; wasClean: boolean }>();

// Text/binary echo.
//   ?binaryType=arraybuffer|blob  sets socket.binaryType before any message
//   ?id=X                          records how this socket closed under X
//   ?closed=X                      sends the record of X right after "open"
//   "info"      -> JSON {isUpgradeRequest, binaryType, protocol, readyState}
//   "close-me"  -> server closes with 4001 "bye"
//   "throw"     -> the handler throws (the socket and the worker must live on)
//   binary      -> "type:<kind>" then the same data sent back
// onopen is attached after upgradeWebSocket() and sends "open": a client
// sees "open" first.
export const GET: APIRoute = (ctx) => {
  if (!ctx.locals.isUpgradeRequest) {
    return new Response("Upgrade required", { status: 426, headers: { upgrade: "websocket" } });
  }
  // A cookie set on the context travels with the 101.
  ctx.cookies.set("zastro-e2e", "ws", { path: "/" });
  const { socket, response } = ctx.locals.upgradeWebSocket();
  const params = ctx.url.searchParams;
  const binaryType = params.get("binaryType");
  if (binaryType === "arraybuffer" || binaryType === "blob") socket.binaryType = binaryType;

  socket.onopen = () => {
    socket.send("open");
    const peek = params.get("closed");
    if (peek !== null) socket.send(JSON.stringify(closes.get(peek) ?? null));
  };
  socket.onclose = (event) => {
    const id = params.get("id");
    if (id !== null) closes.set(id, { code: event.code, reason: event.reason, wasClean: event.wasClean });
  };
  socket.onmessage = (event) => {
    const data = event.data;
    if (typeof data === "string") {
      if (data === "close-me") {
        socket.close(4001, "bye");
        return;
      }
      if (data === "throw") throw new Error("zastro-e2e: thrown from onmessage on purpose");
      if (data === "info") {
        socket.send(
          JSON.stringify({
            isUpgradeRequest: ctx.locals.isUpgradeRequest,
            binaryType: socket.binaryType,
            protocol: socket.protocol,
            readyState: socket.readyState,
          }),
        );
        return;
      }
      socket.send(data);
      return;
    }
    socket.send(`type:${kindOf(data)}`);
    socket.send(data);
  };
  return response;
};
