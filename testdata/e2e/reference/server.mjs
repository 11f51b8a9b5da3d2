// A reference implementation of the wire behaviour that the client suite
// (../client/node-contract.test.mjs) expects from the e2e app, written with
// `ws` and no Astro. The e2e runs the suite against it first: every test must
// pass here, so a failure against a generated package is the package's, not
// the suite's.
//
//   PORT=4321 node server.mjs
import http from "node:http";
import { WebSocketServer } from "ws";

const port = Number(process.env.PORT ?? 4321);
const host = process.env.HOST ?? "127.0.0.1";
const page = "<!doctype html><html><body><h1>zastro-e2e-ssr-ok</h1></body></html>";

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://localhost");
  const send = (status, body, type = "text/plain") => {
    res.writeHead(status, { "content-type": type });
    res.end(body);
  };
  switch (url.pathname) {
    case "/":
      return send(200, page, "text/html");
    case "/api/echo":
    case "/api/proto":
      return send(426, "Upgrade required");
    case "/api/plain":
      return send(200, JSON.stringify({ isUpgradeRequest: false }), "application/json");
    case "/api/reject":
      return send(200, "reject route: not an upgrade");
    default:
      return send(404, "not found");
  }
});

const wss = new WebSocketServer({
  noServer: true,
  maxPayload: 8 * 1024 * 1024,
  // /api/proto?select=: first (ws's own default: the first offered), none
  // (no subprotocol), else chat.v2 when offered.
  handleProtocols: (offered, req) => {
    const select = new URL(req.url ?? "/", "http://localhost").searchParams.get("select");
    if (select === "first") return offered.values().next().value ?? false;
    if (select === "none") return false;
    return offered.has("chat.v2") ? "chat.v2" : false;
  },
});

// A non-101 answer to an upgrade: status, headers, body, then the connection ends.
function refuse(socket, status, body, headers = {}) {
  const all = { "content-type": "text/plain", "content-length": Buffer.byteLength(body), connection: "close", ...headers };
  const lines = Object.entries(all).map(([k, v]) => `${k}: ${v}`);
  socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\n${lines.join("\r\n")}\r\n\r\n${body}`);
}

server.on("upgrade", (req, socket, head) => {
  const url = new URL(req.url ?? "/", "http://localhost");
  if (url.pathname === "/api/reject") return refuse(socket, 403, "nope", { "x-reason": "test" });
  // The app's websocket.allowedOrigins: ["https://app.example"]; no Origin is allowed.
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== "https://app.example") return refuse(socket, 403, "origin not allowed", {});
  if (url.pathname !== "/api/echo" && url.pathname !== "/api/proto") return refuse(socket, 404, "not found");
  wss.handleUpgrade(req, socket, head, (ws) => {
    if (url.pathname === "/api/proto") {
      ws.send(`protocol:${ws.protocol}`);
      ws.on("message", (data, isBinary) => ws.send(isBinary ? data : data.toString()));
      return;
    }
    const binaryType = url.searchParams.get("binaryType") ?? "blob";
    ws.send("open");
    ws.on("message", (data, isBinary) => {
      if (!isBinary) {
        const text = data.toString();
        if (text === "close-me") return ws.close(4001, "bye");
        if (text === "info") {
          return ws.send(JSON.stringify({ isUpgradeRequest: true, binaryType, protocol: ws.protocol, readyState: 1 }));
        }
        return ws.send(text);
      }
      ws.send(`type:${binaryType}`);
      ws.send(data);
    });
  });
});

server.listen(port, host, () => console.log(`reference server: listening on http://${host}:${port}`));
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(0));
