import type { APIRoute } from "astro";

export const prerender = false;

function kindOf(data: unknown): string {
  if (typeof data === "string") return "string";
  if (typeof Blob !== "undefined" && data instanceof Blob) return "blob";
  if (data instanceof ArrayBuffer) return "arraybuffer";
  return Object.prototype.toString.call(data);
}

// Text/binary echo.
//   ?binaryType=arraybuffer|blob  sets socket.binaryType before any message
//   "info"      -> JSON {isUpgradeRequest, binaryType, protocol, readyState}
//   "close-me"  -> server closes with 4001 "bye"
//   binary      -> "type:<kind>" then the same data sent back
// The server's onopen sends "open", so a client sees "open" first.
export const GET: APIRoute = (ctx) => {
  if (!ctx.locals.isUpgradeRequest) {
    return new Response("Upgrade required", { status: 426, headers: { upgrade: "websocket" } });
  }
  const { socket, response } = ctx.locals.upgradeWebSocket();
  const binaryType = ctx.url.searchParams.get("binaryType");
  if (binaryType === "arraybuffer" || binaryType === "blob") socket.binaryType = binaryType;

  socket.onopen = () => socket.send("open");
  socket.onmessage = (event) => {
    const data = event.data;
    if (typeof data === "string") {
      if (data === "close-me") {
        socket.close(4001, "bye");
        return;
      }
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
