// The runtime contract of zastro-websockets-cloudflare, checked from outside
// with real clients: Node's global WebSocket (undici) and a raw TCP client.
//
//   ZASTRO_BASE=http://127.0.0.1:PORT ZASTRO_MODE=build|dev ZASTRO_CF_GENERATION=runtime|workers \
//     node --test --test-force-exit testdata/e2e/client/cloudflare-contract.test.mjs
//
// ZASTRO_MODE build: the `astro build` output served by `wrangler dev`
// (workerd); dev: `astro dev`. ZASTRO_CF_GENERATION runtime: @astrojs/cloudflare
// 10.x to 12.x (bindings on locals.runtime, `astro dev` renders in Node);
// workers: 13.x on (bindings from cloudflare:workers, `astro dev` runs the
// worker in workerd through @cloudflare/vite-plugin).
//
// Needs Node >= 22 (global WebSocket). Every wait is bounded; nothing sleeps
// to synchronise. Only loopback targets are accepted.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { STEP_MS, loopbackTarget, test, withTimeout, httpGet as get, rawUpgrade as upgrade, QueuedSocket, supportProbe } from "./lib.mjs";

const MODE = process.env.ZASTRO_MODE ?? "build";
const GENERATION = process.env.ZASTRO_CF_GENERATION ?? "workers";
const MARKER = "zastro-e2e-ssr-ok";
const GREETING = "hello-from-wrangler-config"; // [vars] of the wrangler config

const { BASE, base, wsBase, port } = loopbackTarget();
if (!["build", "dev"].includes(MODE) || !["runtime", "workers"].includes(GENERATION)) {
  throw new Error(`ZASTRO_MODE must be build or dev and ZASTRO_CF_GENERATION runtime or workers, got ${MODE}, ${GENERATION}`);
}

// ---------------------------------------------------------------- helpers

const httpGet = (path) => get(base, path);

/**
 * The raw upgrade client of lib.mjs against the target, resolving right
 * after the response (body included), or with `{ status: 0 }` when the
 * server closed the connection without any response. Rejects when no
 * complete response arrives within STEP_MS (a hung socket).
 */
const rawUpgrade = (path, { protocols } = {}) => upgrade(base, path, { protocols, closeWithinMs: 0, noResponse: "status0" });

/** A WebSocket client that queues messages in arrival order (lib.mjs); read them with next(). */
class Client extends QueuedSocket {
  constructor(path, protocols) {
    super(wsBase + path, protocols, path);
    this.path = path;
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
      let why;
      try {
        why = `the server answered "${(await rawUpgrade(this.path)).statusLine}"`;
      } catch (e) {
        why = e.message;
      }
      throw new Error(`WebSocket to ${this.path} did not open (${err.message}); ${why}`);
    });
  }

  async expectOpenMessage() {
    assert.equal(await this.next('the server\'s "open" message'), "open", 'first message must be the server-side onopen\'s "open"');
    return this;
  }

  close(code = 1000, reason = "done") {
    return super.close(code, reason).catch(() => {});
  }
}

/** One handshake probe for every WebSocket test (lib.mjs supportProbe). */
const webSocketSupport = supportProbe(BASE, () => rawUpgrade("/api/echo"));

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

test("isUpgradeRequest is false on a plain GET, and upgradeWebSocket() throws a clear Error", async () => {
  const r = await httpGet("/api/plain");
  assert.equal(r.status, 200, r.body.slice(0, 300));
  const { isUpgradeRequest, error } = JSON.parse(r.body);
  assert.equal(isUpgradeRequest, false);
  assert.match(error, /^Error: locals\.upgradeWebSocket\(\) was called for GET \S*\/api\/plain, which is not a WebSocket upgrade request\./);
  assert.match(error, /Check `locals\.isUpgradeRequest` first/);
});

test("the wrangler config's variable reaches a plain route", async () => {
  const r = await httpGet("/api/env");
  assert.equal(r.status, 200, r.body.slice(0, 300));
  assert.deepEqual(JSON.parse(r.body), { greeting: GREETING });
});

// ---------------------------------------------------------------- WebSocket contract

test("raw handshake to /api/echo gets 101 with a valid Sec-WebSocket-Accept", async () => {
  const r = await rawUpgrade("/api/echo");
  assert.equal(r.status, 101, `status line: ${r.statusLine}`);
  assert.equal((r.headers.upgrade ?? "").toLowerCase(), "websocket");
  const accept = createHash("sha1").update(r.key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
  assert.equal(r.headers["sec-websocket-accept"], accept);
  assert.equal(r.headers["x-zastro-upgrade"], undefined, "the private token header must not reach the client");
  assert.match(r.headers["set-cookie"] ?? "", /(^|, )zastro-e2e=ws(;|$)/, "a cookie set on the context travels with the 101");
});

test('server-side onopen fires (attached after upgradeWebSocket()): "open" is the first message', async () => {
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

test('isUpgradeRequest is true inside the WebSocket route ("info")', async () => {
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

test("256 KiB binary and text messages are echoed intact", async () => {
  const c = await echoClient("?binaryType=arraybuffer");
  try {
    const big = randomBytes(256 * 1024);
    c.send(big);
    assert.equal(await c.next("type report for 256 KiB"), "type:arraybuffer");
    const back = bytesOf(await c.next("256 KiB binary echo"));
    assert.equal(sha(back), sha(big));
    const text = big.toString("base64");
    c.send(text);
    assert.ok((await c.next("256 KiB text echo")) === text, "text echo differs");
  } finally {
    await c.close();
  }
});

test("subprotocol negotiation: the route selects chat.v2, both sides agree", async () => {
  const c = await Client.connect("/api/proto", ["chat.v1", "chat.v2"]);
  try {
    assert.equal(await c.next("the server's protocol report"), "protocol:chat.v2", "server socket.protocol");
    assert.equal(c.ws.protocol, "chat.v2", "client's protocol");
  } finally {
    await c.close();
  }
  const raw = await rawUpgrade("/api/proto", { protocols: ["chat.v1", "chat.v2"] });
  assert.equal(raw.status, 101, `status line: ${raw.statusLine}`);
  assert.equal(raw.headers["sec-websocket-protocol"], "chat.v2", "the 101's Sec-WebSocket-Protocol");
});

// Without a `protocol` option the route selects the first offered
// subprotocol, as `ws` does without handleProtocols.
for (const offered of [["chat"], ["chat.v1", "chat.v2"]]) {
  test(`subprotocol by default: offered ${JSON.stringify(offered)}, both sides select ${offered[0]}`, async () => {
    const c = await Client.connect("/api/proto?select=first", offered);
    try {
      assert.equal(await c.next("the server's protocol report"), `protocol:${offered[0]}`, "server socket.protocol");
      assert.equal(c.ws.protocol, offered[0], "client's protocol");
    } finally {
      await c.close();
    }
  });
}

test("subprotocol by default with none offered: opens with protocol \"\" on both sides", async () => {
  const c = await Client.connect("/api/proto?select=first");
  try {
    assert.equal(await c.next("the server's protocol report"), "protocol:");
    assert.equal(c.ws.protocol, "");
  } finally {
    await c.close();
  }
});

test("protocol: false selects none: the 101 has no Sec-WebSocket-Protocol and the WebSocket client fails", async () => {
  await webSocketSupport();
  const raw = await rawUpgrade("/api/proto?select=none", { protocols: ["chat.v1", "chat.v2"] });
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

test('server close(4001, "bye") reaches the client', async () => {
  const c = await echoClient();
  c.send("close-me");
  const ev = await withTimeout(c.closed, STEP_MS, "server-initiated close");
  assert.equal(ev.code, 4001);
  assert.equal(ev.reason, "bye");
  assert.equal(ev.wasClean, true);
});

test("the client's close code and reason reach the server's onclose", async () => {
  const id = randomBytes(6).toString("hex");
  const c = await echoClient(`?id=${id}`);
  c.close(4002, "client-bye");
  const ev = await withTimeout(c.closed, STEP_MS, "client-initiated close");
  assert.equal(ev.code, 4002, "the server answers the close frame with the same code, as a browser does");
  // The server's onclose runs as the close frame arrives; ask another socket what it saw.
  const deadline = Date.now() + STEP_MS;
  let seen = null;
  while (seen === null && Date.now() < deadline) {
    const peek = await echoClient(`?closed=${id}`);
    seen = JSON.parse(await peek.next("the recorded close"));
    await peek.close();
  }
  assert.deepEqual(seen, { code: 4002, reason: "client-bye", wasClean: true });
});

test("an exception in a user's handler does not end the socket or the worker", async () => {
  const c = await echoClient();
  try {
    c.send("throw");
    c.send("still-alive");
    assert.equal(await c.next("echo after the throw"), "still-alive");
  } finally {
    await c.close();
  }
  const again = await echoClient();
  try {
    again.send("new-socket");
    assert.equal(await again.next("echo on a new socket"), "new-socket");
  } finally {
    await again.close();
  }
});

test("a variable from the wrangler config is read in a WebSocket route, in the route and in onmessage", async () => {
  const c = await Client.connect("/api/env");
  try {
    c.send("greeting?");
    assert.deepEqual(JSON.parse(await c.next("env reply")), { atUpgrade: GREETING, inHandler: GREETING });
  } finally {
    await c.close();
  }
});

test("rejected upgrade: the route's Response reaches a raw client", async () => {
  await webSocketSupport();
  const r = await rawUpgrade("/api/reject");
  assert.equal(r.status, 403, `status line: ${r.statusLine}`);
  assert.equal(r.headers["x-reason"], "test");
  assert.equal(r.body, "nope");
});

test("rejected upgrade: the WebSocket client fails to open", async () => {
  await webSocketSupport();
  const ws = new WebSocket(`${wsBase}/api/reject`);
  const outcome = await withTimeout(
    new Promise((resolve) => {
      ws.addEventListener("open", () => resolve("open"));
      ws.addEventListener("error", () => resolve("failed"));
      ws.addEventListener("close", () => resolve("failed"));
    }),
    STEP_MS,
    "rejected WebSocket to settle",
  );
  ws.close();
  assert.equal(outcome, "failed");
});

test("upgrade to an unknown path gets a 404, never a hung socket", async () => {
  await webSocketSupport();
  const r = await rawUpgrade("/api/no-such-route-zastro");
  assert.equal(r.status, 404, `status line: ${r.statusLine}`);
});

// 13.x on: static files (public/) are served before the worker runs, so an
// upgrade to one gets the file, as a plain GET does, in the built worker and
// in `astro dev`.
if (GENERATION === "workers") test("an upgrade to the path of a static file gets the file", async () => {
  await webSocketSupport();
  // Readiness first: in `astro dev` the dev server may still be settling
  // (Vite re-optimizing its dependencies) when the suite starts; the file
  // must reach a plain GET, within a bounded wait, before the upgrade is asked.
  const deadline = Date.now() + STEP_MS;
  let plain = await httpGet("/zastro-static.txt");
  while (plain.status !== 200 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    plain = await httpGet("/zastro-static.txt");
  }
  assert.equal(plain.status, 200, `a plain GET of the static file: ${plain.status}`);
  const r = await rawUpgrade("/zastro-static.txt");
  assert.equal(r.status, 200, `status line: ${r.statusLine}`);
  assert.equal(r.body, "zastro-static-file\n");
});

test("50 concurrent connections each echo once", async () => {
  const N = 50;
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

// Registered only in dev mode: the built worker has no Vite server. In dev
// the adapter listens for upgrades beside Vite and @cloudflare/vite-plugin;
// Vite's own socket must keep working.
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
