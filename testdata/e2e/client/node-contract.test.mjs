// The runtime contract of zastro-websockets-node, checked from outside with
// real clients: Node's global WebSocket (undici) and a raw TCP client.
//
//   ZASTRO_BASE=http://127.0.0.1:PORT ZASTRO_MODE=standalone|middleware|dev \
//     node --test --test-force-exit testdata/e2e/client/node-contract.test.mjs
//
// The target serves testdata/e2e/node-app (or testdata/e2e/reference). Env:
// ZASTRO_STEP_TIMEOUT_MS bounds each step (default 10000). --test-force-exit
// matters against a server that never answers a handshake: Node's WebSocket
// then keeps its socket, and the runner alive, after the test gave up.
//
// Needs Node >= 22 (global WebSocket). Every wait is bounded; nothing sleeps
// to synchronise. Only loopback targets are accepted.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { STEP_MS, loopbackTarget, test, withTimeout, httpGet as get, rawUpgrade as upgrade, QueuedSocket, supportProbe } from "./lib.mjs";

const MODE = process.env.ZASTRO_MODE ?? "standalone";
const MARKER = "zastro-e2e-ssr-ok";
// After answering an upgrade with a non-101 response the server must close the
// connection promptly: well before Node's 5 s keep-alive timeout would.
const PROMPT_CLOSE_MS = 2_000;

const { BASE, base, wsBase, port } = loopbackTarget();

// ---------------------------------------------------------------- helpers

const httpGet = (path, init) => get(base, path, init);

/**
 * The raw upgrade client of lib.mjs against the target: resolves with the
 * response and whether the server closed the connection within closeWithinMs
 * after answering (default STEP_MS); rejects on a hung socket.
 */
const rawUpgrade = (path, options) => upgrade(base, path, options);

/** Explains a failed WebSocket handshake by replaying it with the raw client. */
async function diagnoseHandshake(path, protocols) {
  try {
    const r = await rawUpgrade(path, { protocols, closeWithinMs: 200 });
    const hint = r.status === 101 ? " on a fresh connection (Node's WebSocket may have sent its handshake on a reused keep-alive connection: see the keep-alive test)" : "";
    return `server answered the upgrade with "${r.statusLine}"${hint}${r.body ? ` body ${JSON.stringify(r.body.slice(0, 200))}` : ""}`;
  } catch (err) {
    return err.message;
  }
}

/**
 * A WebSocket client with a message queue (lib.mjs): open() resolves once the
 * handshake is done or rejects with a diagnosis.
 */
class Client extends QueuedSocket {
  constructor(path, protocols) {
    super(wsBase + path, protocols, path);
    this.path = path;
    this.protocols = protocols;
  }

  static async connect(path, protocols) {
    await webSocketSupport();
    const c = new Client(path, protocols);
    await c.open();
    return c;
  }

  open() {
    return this.opened().catch(async (err) => {
      this.ws.close();
      const why = await diagnoseHandshake(this.path, this.protocols);
      throw new Error(`WebSocket to ${this.path} did not open (${err.message}); ${why}`);
    });
  }

  /** The server's onopen sends "open": it must be the first message. */
  async expectOpenMessage() {
    const first = await this.next('the server\'s "open" message');
    assert.equal(first, "open", "first message must be the server-side onopen's \"open\"");
    return this;
  }

  close() {
    return super.close(1000, "done").catch(() => {});
  }
}

/** One handshake probe for every WebSocket test (lib.mjs supportProbe). */
const webSocketSupport = supportProbe(BASE, () => rawUpgrade("/api/echo", { closeWithinMs: 200 }));

/** Connects to /api/echo (optionally with ?binaryType=) and consumes "open". */
async function echoClient(query = "") {
  const c = await Client.connect(`/api/echo${query}`);
  await c.expectOpenMessage();
  return c;
}

function bytesOf(data) {
  assert.ok(data instanceof ArrayBuffer, `expected a binary message, got ${typeof data === "string" ? JSON.stringify(data.slice(0, 80)) : Object.prototype.toString.call(data)}`);
  return new Uint8Array(data);
}

const sha = (bytes) => createHash("sha256").update(bytes).digest("hex");

// ---------------------------------------------------------------- HTTP still works

test("SSR page / is served", async () => {
  const r = await httpGet("/");
  assert.equal(r.status, 200);
  assert.ok(r.body.includes(MARKER), `page body lacks ${MARKER}: ${r.body.slice(0, 300)}`);
});

test("plain GET /api/echo answers 426 (route sees isUpgradeRequest false)", async () => {
  const r = await httpGet("/api/echo");
  assert.equal(r.status, 426, `body: ${r.body.slice(0, 200)}`);
});

test("isUpgradeRequest is false on a plain GET (/api/plain)", async () => {
  const r = await httpGet("/api/plain");
  assert.equal(r.status, 200);
  assert.deepEqual(JSON.parse(r.body), { isUpgradeRequest: false });
});

// ---------------------------------------------------------------- WebSocket contract

test("server-side onopen fires: \"open\" is the first message", async () => {
  const c = await Client.connect("/api/echo");
  try {
    assert.equal(await c.next('"open"'), "open");
  } finally {
    await c.close();
  }
});

test("text echo", async () => {
  const c = await echoClient();
  try {
    for (const s of ["hello", "", "ünïcödé ✓ 🚀", "x".repeat(70_000)]) {
      c.send(s);
      assert.equal(await c.next("text echo"), s);
    }
  } finally {
    await c.close();
  }
});

test("isUpgradeRequest is true inside the WebSocket route (\"info\")", async () => {
  const c = await echoClient();
  try {
    c.send("info");
    const info = JSON.parse(await c.next("info reply"));
    assert.equal(info.isUpgradeRequest, true);
    assert.equal(info.binaryType, "blob", "server socket's default binaryType");
    assert.equal(info.readyState, 1, "readyState OPEN inside onmessage");
  } finally {
    await c.close();
  }
});

for (const serverBinaryType of ["blob", "arraybuffer"]) {
  test(`binary echo, server binaryType ${serverBinaryType}`, async () => {
    const c = await echoClient(serverBinaryType === "blob" ? "" : `?binaryType=${serverBinaryType}`);
    try {
      const backing = Uint8Array.from({ length: 64 }, (_, i) => i);
      const cases = [
        ["ArrayBuffer", new Uint8Array([1, 2, 3, 250, 0, 255]).buffer, new Uint8Array([1, 2, 3, 250, 0, 255])],
        ["Uint8Array", new Uint8Array([9, 8, 7]), new Uint8Array([9, 8, 7])],
        // A view into a larger buffer: only the viewed bytes may travel.
        ["Uint8Array view", backing.subarray(10, 20), backing.slice(10, 20)],
        ["DataView", new DataView(backing.buffer, 30, 4), backing.slice(30, 34)],
        ["Blob", new Blob([new Uint8Array([42, 43, 44, 45])]), new Uint8Array([42, 43, 44, 45])],
        ["empty ArrayBuffer", new ArrayBuffer(0), new Uint8Array(0)],
      ];
      for (const [name, payload, expected] of cases) {
        c.send(payload);
        assert.equal(await c.next(`type report for ${name}`), `type:${serverBinaryType}`, `server received ${name} as`);
        assert.deepEqual(bytesOf(await c.next(`binary echo of ${name}`)), expected, `echo of ${name}`);
      }
    } finally {
      await c.close();
    }
  });
}

test("subprotocol negotiation picks chat.v2", async () => {
  const c = await Client.connect("/api/proto", ["chat.v1", "chat.v2"]);
  try {
    assert.equal(c.ws.protocol, "chat.v2");
    assert.equal(await c.next("server's protocol report"), "protocol:chat.v2", "server socket.protocol");
  } finally {
    await c.close();
  }
});

// Without a `protocol` option the route selects the first offered
// subprotocol (what ws does without handleProtocols): code written for ws
// keeps working. The server socket reports its protocol as the first message.
for (const offered of [["chat"], ["chat.v1", "chat.v2"]]) {
  test(`subprotocol by default: offered ${JSON.stringify(offered)}, both sides select ${offered[0]}`, async () => {
    const c = await Client.connect("/api/proto?select=first", offered);
    try {
      assert.equal(c.ws.protocol, offered[0], "client's protocol");
      assert.equal(await c.next("server's protocol report"), `protocol:${offered[0]}`, "server socket.protocol");
    } finally {
      await c.close();
    }
  });
}

test("subprotocol by default with none offered: opens with protocol \"\" on both sides", async () => {
  const c = await Client.connect("/api/proto?select=first");
  try {
    assert.equal(c.ws.protocol, "");
    assert.equal(await c.next("server's protocol report"), "protocol:");
  } finally {
    await c.close();
  }
});

test("protocol: false selects none: the 101 has no Sec-WebSocket-Protocol and the WebSocket client fails", async () => {
  await webSocketSupport();
  const raw = await rawUpgrade("/api/proto?select=none", { protocols: ["chat.v1", "chat.v2"], closeWithinMs: 200 });
  assert.equal(raw.status, 101, `status line: ${raw.statusLine}`);
  assert.equal(raw.headers["sec-websocket-protocol"], undefined, "no subprotocol selected");
  // The WebSocket standard: a client that offered subprotocols fails the
  // connection when the server selects none (no open event).
  const ws = new WebSocket(`${wsBase}/api/proto?select=none`, ["chat.v1", "chat.v2"]);
  const outcome = await withTimeout(
    new Promise((resolve) => {
      ws.addEventListener("open", () => resolve("open"));
      ws.addEventListener("error", () => resolve("failed"));
      ws.addEventListener("close", () => resolve("failed"));
    }),
    STEP_MS,
    "WebSocket with no subprotocol selected to settle",
  );
  ws.close();
  assert.equal(outcome, "failed", "the client must fail the connection, not open it");
});

test("server close(4001, \"bye\") reaches the client", async () => {
  const c = await echoClient();
  c.send("close-me");
  const ev = await withTimeout(c.closed, STEP_MS, "server-initiated close");
  assert.equal(ev.code, 4001);
  assert.equal(ev.reason, "bye");
  assert.equal(ev.wasClean, true);
});

test("rejected upgrade: 403, x-reason header and body reach a raw client, connection closed", async () => {
  const r = await rawUpgrade("/api/reject", { closeWithinMs: PROMPT_CLOSE_MS });
  assert.equal(r.status, 403, `status line: ${r.statusLine}`);
  assert.equal(r.headers["x-reason"], "test");
  assert.equal(r.body, "nope");
  assert.equal(r.closedByServer, true, "server must close the connection after rejecting the upgrade");
});

test("rejected upgrade: the WebSocket client fails to open", async () => {
  await webSocketSupport();
  const ws = new WebSocket(`${wsBase}/api/reject`);
  const outcome = await withTimeout(
    new Promise((resolve) => {
      ws.addEventListener("open", () => resolve("open"));
      // Browsers fire error then close; Node's undici (22.x) fires only error
      // for a non-101 answer and stays CONNECTING.
      ws.addEventListener("error", () => resolve("failed"));
      ws.addEventListener("close", () => resolve("failed"));
    }),
    STEP_MS,
    "rejected WebSocket to settle",
  );
  ws.close();
  assert.equal(outcome, "failed");
});

test("upgrade to an unknown path gets a 404 and the socket closes", async () => {
  const r = await rawUpgrade("/api/no-such-route-zastro", { closeWithinMs: PROMPT_CLOSE_MS });
  assert.equal(r.status, 404, `status line: ${r.statusLine}`);
  assert.equal(r.closedByServer, true, "server must close the connection after the 404");
});

test("websocket.allowedOrigins: another Origin gets 403 before any route runs, a listed one 101", async () => {
  await webSocketSupport();
  const denied = await rawUpgrade("/api/echo", { extraHeaders: { Origin: "https://evil.example" }, closeWithinMs: PROMPT_CLOSE_MS });
  assert.equal(denied.status, 403, `status line for https://evil.example: ${denied.statusLine}`);
  assert.equal(denied.closedByServer, true, "server must close the connection after refusing the origin");
  const allowed = await rawUpgrade("/api/echo", { extraHeaders: { Origin: "https://app.example" }, closeWithinMs: 200 });
  assert.equal(allowed.status, 101, `status line for https://app.example: ${allowed.statusLine}`);
});

test("raw handshake to /api/echo gets 101 with a valid Sec-WebSocket-Accept", async () => {
  const r = await rawUpgrade("/api/echo", { closeWithinMs: 200 });
  assert.equal(r.status, 101, `status line: ${r.statusLine}`);
  assert.equal((r.headers.upgrade ?? "").toLowerCase(), "websocket");
  const accept = createHash("sha1").update(r.key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
  assert.equal(r.headers["sec-websocket-accept"], accept);
});

test("upgrade on a keep-alive connection that already served a GET gets 101", async () => {
  await webSocketSupport();
  // Clients (undici's fetch pool, browsers) reuse connections: an upgrade can
  // arrive on a socket that has already carried HTTP requests and responses.
  const r = await rawUpgrade("/api/echo", { after: "/api/plain", closeWithinMs: 200 });
  assert.equal(r.status, 101, `status line: ${r.statusLine}`);
});

test("4 MiB messages (binary and text) are echoed intact", async () => {
  const c = await echoClient("?binaryType=arraybuffer");
  try {
    const big = randomBytes(4 * 1024 * 1024);
    c.send(big);
    assert.equal(await c.next("type report for 4 MiB"), "type:arraybuffer");
    const back = bytesOf(await c.next("4 MiB binary echo"));
    assert.equal(back.byteLength, big.byteLength);
    assert.equal(sha(back), sha(big));

    const text = big.toString("base64").slice(0, 4 * 1024 * 1024);
    c.send(text);
    const textBack = await c.next("4 MiB text echo");
    assert.equal(textBack.length, text.length);
    assert.ok(textBack === text, "text echo differs");
  } finally {
    await c.close();
  }
});

test("200 concurrent connections each echo once", async () => {
  const N = 200;
  const clients = [];
  try {
    const results = await Promise.allSettled(
      Array.from({ length: N }, async (_, i) => {
        await webSocketSupport();
        const c = new Client("/api/echo");
        clients.push(c);
        await c.open();
        await c.expectOpenMessage();
        c.send(`n${i}`);
        assert.equal(await c.next(`echo of n${i}`), `n${i}`);
      }),
    );
    const failed = results.filter((r) => r.status === "rejected");
    assert.equal(failed.length, 0, `${failed.length}/${N} failed; first: ${failed[0]?.reason?.message}`);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
});

test("SSR page is served while 20 sockets are open", async () => {
  const clients = [];
  try {
    for (let i = 0; i < 20; i++) clients.push(await echoClient());
    const r = await httpGet("/");
    assert.equal(r.status, 200);
    assert.ok(r.body.includes(MARKER));
    // The sockets are still alive after the page load.
    clients[0].send("still-here");
    assert.equal(await clients[0].next("echo after page load"), "still-here");
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
});

// ---------------------------------------------------------------- dev only

/**
 * Where the dev server's Vite HMR socket lives, read from the /@vite/client
 * module it serves (Vite 5.4.12+/6+ embed a token; the path is the HMR base).
 */
async function viteHmrUrl() {
  const r = await httpGet("/@vite/client");
  assert.equal(r.status, 200, "/@vite/client is served in dev");
  const src = r.body;
  const lit = (re, fallback) => {
    const m = re.exec(src);
    if (!m) return fallback;
    try {
      return JSON.parse(m[1]);
    } catch {
      return fallback;
    }
  };
  const hmrPort = lit(/const hmrPort = ([^;]+);/, null);
  const hmrBase = lit(/importMetaUrl\.port\}\$\{([^}]+)\}`/, "/");
  const token = lit(/const wsToken = ([^;]+);/, null);
  const host = `${base.hostname}:${hmrPort || port}`;
  return `ws://${host}${hmrBase}${token ? `?token=${encodeURIComponent(token)}` : ""}`;
}

// Registered only in dev mode: the other modes have no Vite server.
if (MODE === "dev") test("dev: Vite's HMR WebSocket still connects", async () => {
  const url = await viteHmrUrl();
  const ws = new WebSocket(url, "vite-hmr");
  try {
    const first = await withTimeout(
      new Promise((resolve, reject) => {
        ws.addEventListener("message", (e) => resolve(e.data), { once: true });
        ws.addEventListener("error", () => reject(new Error(`HMR socket ${url} failed`)), { once: true });
        ws.addEventListener("close", (e) => reject(new Error(`HMR socket ${url} closed (code ${e.code})`)), { once: true });
      }),
      STEP_MS,
      `Vite HMR socket ${url}`,
    );
    assert.equal(ws.protocol, "vite-hmr");
    // Vite greets every HMR client with {"type":"connected"}.
    assert.equal(JSON.parse(first).type, "connected");
  } finally {
    ws.close();
  }
});
