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
import { test as nodeTest } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { createHash, randomBytes } from "node:crypto";

const BASE = process.env.ZASTRO_BASE ?? "";
const MODE = process.env.ZASTRO_MODE ?? "standalone";
// One bound for a single step (connect, one message, one response).
const STEP_MS = Number(process.env.ZASTRO_STEP_TIMEOUT_MS ?? 10_000);
const MARKER = "zastro-e2e-ssr-ok";
// After answering an upgrade with a non-101 response the server must close the
// connection promptly: well before Node's 5 s keep-alive timeout would.
const PROMPT_CLOSE_MS = 2_000;

const base = new URL(BASE || "http://invalid.invalid");
if (!BASE || !["127.0.0.1", "localhost", "[::1]"].includes(base.hostname)) {
  throw new Error(`ZASTRO_BASE must be a loopback http URL (http://127.0.0.1:PORT), got ${JSON.stringify(BASE)}`);
}
if (typeof WebSocket !== "function") {
  throw new Error(`this suite needs a global WebSocket (Node >= 22), running on Node ${process.version}`);
}
const wsBase = `ws://${base.host}`;
const port = Number(base.port || 80);

// Every test also has a hard ceiling, so a bug in a helper cannot hang the run.
function test(name, opts, fn) {
  if (typeof opts === "function") [opts, fn] = [{}, opts];
  return nodeTest(name, { timeout: STEP_MS * 6, ...opts }, fn);
}

// ---------------------------------------------------------------- helpers

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function httpGet(path, init = {}) {
  const res = await fetch(new URL(path, base), { ...init, signal: AbortSignal.timeout(STEP_MS), redirect: "manual" });
  const body = await res.text();
  return { status: res.status, headers: res.headers, body };
}

/**
 * Parses one HTTP/1.1 response at the start of buf. Returns null while it is
 * incomplete; `untilClose` bodies (no length, not chunked) complete only when
 * the caller passes ended=true.
 */
function parseResponse(buf, ended = false) {
  const end = buf.indexOf("\r\n\r\n");
  if (end < 0) return null;
  const lines = buf.subarray(0, end).toString("latin1").split("\r\n");
  const statusLine = lines[0];
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (!m) throw new Error(`not an HTTP response: ${JSON.stringify(statusLine.slice(0, 100))}`);
  const headers = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(":");
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  const status = Number(m[1]);
  const head = { status, statusLine, headers };
  const rest = buf.subarray(end + 4);
  if (status === 101 || status === 204 || status === 304) return { ...head, body: Buffer.alloc(0), consumed: end + 4 };
  if ((headers["transfer-encoding"] ?? "").toLowerCase().includes("chunked")) {
    const out = [];
    let i = 0;
    for (;;) {
      const eol = rest.indexOf("\r\n", i);
      if (eol < 0) return null;
      const size = parseInt(rest.subarray(i, eol).toString("latin1").split(";")[0].trim(), 16);
      if (Number.isNaN(size)) throw new Error(`bad chunk size after "${statusLine}"`);
      if (size === 0) {
        const trailerEnd = rest.indexOf("\r\n", eol + 2);
        if (trailerEnd < 0) return null;
        return { ...head, body: Buffer.concat(out), consumed: end + 4 + trailerEnd + 2 };
      }
      if (rest.length < eol + 2 + size + 2) return null;
      out.push(rest.subarray(eol + 2, eol + 2 + size));
      i = eol + 2 + size + 2;
    }
  }
  if (headers["content-length"] !== undefined) {
    const n = Number(headers["content-length"]);
    return rest.length >= n ? { ...head, body: rest.subarray(0, n), consumed: end + 4 + n } : null;
  }
  return ended ? { ...head, body: rest, consumed: buf.length } : null;
}

/**
 * A hand-made HTTP/1.1 upgrade request over a raw TCP socket. Resolves with the
 * server's response (status, headers, body as text) and whether the server
 * closed the connection within `closeWithinMs` after answering. Rejects when
 * no complete response arrives within STEP_MS (a hung socket).
 *
 * `after`: first send a plain GET for that path on the same connection and
 * read its response, so the upgrade arrives on a reused keep-alive connection.
 */
function rawUpgrade(path, { protocols, extraHeaders = {}, closeWithinMs = STEP_MS, after } = {}) {
  return new Promise((resolve, reject) => {
    const key = randomBytes(16).toString("base64");
    const sock = net.connect({ host: base.hostname.replace(/^\[|\]$/g, ""), port });
    let buf = Buffer.alloc(0);
    let phase = after ? "prior" : "upgrade"; // then "answered"
    let settled = false;
    let result = null;
    let closeTimer = null;

    const overall = setTimeout(() => {
      const what = phase === "prior" ? `the plain GET ${after} before the upgrade` : `the upgrade to ${path}${after ? ` (on a connection reused after GET ${after})` : ""}`;
      finish(new Error(`raw client: no complete HTTP response to ${what} within ${STEP_MS} ms (socket hung; ${buf.length} bytes pending)`));
    }, STEP_MS);

    function finish(err, value) {
      if (settled) return;
      settled = true;
      clearTimeout(overall);
      clearTimeout(closeTimer);
      sock.destroy();
      if (err) reject(err);
      else resolve(value);
    }

    function sendUpgrade() {
      const lines = [
        `GET ${path} HTTP/1.1`,
        `Host: ${base.host}`,
        "Connection: Upgrade",
        "Upgrade: websocket",
        "Sec-WebSocket-Version: 13",
        `Sec-WebSocket-Key: ${key}`,
      ];
      if (protocols) lines.push(`Sec-WebSocket-Protocol: ${protocols.join(", ")}`);
      for (const [k, v] of Object.entries(extraHeaders)) lines.push(`${k}: ${v}`);
      sock.write(lines.join("\r\n") + "\r\n\r\n");
    }

    function onAnswer(res) {
      phase = "answered";
      clearTimeout(overall);
      result = {
        status: res.status,
        statusLine: res.statusLine,
        headers: res.headers,
        body: res.body.toString("utf8"),
        key,
        closedByServer: false,
      };
      if (res.status === 101) return finish(null, result);
      // The contract: after a rejection the connection is closed. Give the
      // server closeWithinMs to do so; report rather than hang.
      closeTimer = setTimeout(() => finish(null, result), closeWithinMs);
    }

    function consume(ended) {
      for (;;) {
        if (phase === "answered") return;
        const res = parseResponse(buf, ended);
        if (!res) return;
        buf = buf.subarray(res.consumed);
        if (phase === "prior") {
          if (res.status !== 200) return finish(new Error(`raw client: GET ${after} answered "${res.statusLine}"`));
          phase = "upgrade";
          sendUpgrade();
          continue;
        }
        return onAnswer(res);
      }
    }

    sock.setNoDelay(true);
    sock.on("connect", () => {
      if (after) sock.write(`GET ${after} HTTP/1.1\r\nHost: ${base.host}\r\n\r\n`);
      else sendUpgrade();
    });
    sock.on("data", (chunk) => {
      if (phase === "answered") return; // WebSocket frames or stray bytes after the answer
      buf = Buffer.concat([buf, chunk]);
      try {
        consume(false);
      } catch (err) {
        finish(new Error(`raw client (${path}): ${err.message}`));
      }
    });
    const onGone = () => {
      if (settled) return;
      if (phase === "answered") {
        result.closedByServer = true;
        return finish(null, result);
      }
      try {
        consume(true); // a body delimited by the end of the connection
      } catch (err) {
        return finish(new Error(`raw client (${path}): ${err.message}`));
      }
      if (phase === "answered") {
        result.closedByServer = true;
        return finish(null, result);
      }
      finish(new Error(`raw client: connection to ${path} closed without a complete HTTP response (${buf.length} bytes pending)`));
    };
    sock.on("end", onGone);
    sock.on("close", onGone);
    sock.on("error", (err) => {
      if (phase === "answered" || buf.length) return onGone();
      finish(new Error(`raw client (${path}): ${err.message}`));
    });
  });
}

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
 * A WebSocket client with a message queue: every message is buffered in arrival
 * order and read with next(); close is recorded. open() resolves once the
 * handshake is done or rejects with a diagnosis.
 */
class Client {
  constructor(path, protocols) {
    this.path = path;
    this.protocols = protocols;
    this.queue = [];
    this.waiters = [];
    this.ws = protocols ? new WebSocket(wsBase + path, protocols) : new WebSocket(wsBase + path);
    this.ws.binaryType = "arraybuffer";
    this.closed = new Promise((resolve) => {
      this.ws.addEventListener("close", (e) => {
        this.closeEvent = { code: e.code, reason: e.reason, wasClean: e.wasClean };
        resolve(this.closeEvent);
        for (const w of this.waiters.splice(0)) w.reject(new Error(`${path}: socket closed (code ${e.code}, reason ${JSON.stringify(e.reason)}) while waiting for a message`));
      });
    });
    this.ws.addEventListener("message", (e) => {
      const w = this.waiters.shift();
      if (w) w.resolve(e.data);
      else this.queue.push(e.data);
    });
  }

  static async connect(path, protocols) {
    await webSocketSupport();
    const c = new Client(path, protocols);
    await c.open();
    return c;
  }

  open() {
    if (this.ws.readyState === WebSocket.OPEN) return Promise.resolve(this);
    const opened = new Promise((resolve, reject) => {
      this.ws.addEventListener("open", () => resolve(this), { once: true });
      this.ws.addEventListener("error", () => reject(new Error("error event before open")), { once: true });
      this.ws.addEventListener("close", (e) => reject(new Error(`closed before open (code ${e.code})`)), { once: true });
    });
    return withTimeout(opened, STEP_MS, `WebSocket handshake to ${this.path}`).catch(async (err) => {
      this.ws.close();
      const why = await diagnoseHandshake(this.path, this.protocols);
      throw new Error(`WebSocket to ${this.path} did not open (${err.message}); ${why}`);
    });
  }

  next(what = "a message") {
    if (this.queue.length) return Promise.resolve(this.queue.shift());
    if (this.closeEvent) return Promise.reject(new Error(`${this.path}: socket already closed (code ${this.closeEvent.code}) while waiting for ${what}`));
    const p = new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
    return withTimeout(p, STEP_MS, `${this.path}: waiting for ${what}`);
  }

  /** The server's onopen sends "open": it must be the first message. */
  async expectOpenMessage() {
    const first = await this.next('the server\'s "open" message');
    assert.equal(first, "open", "first message must be the server-side onopen's \"open\"");
    return this;
  }

  send(data) {
    this.ws.send(data);
  }

  close() {
    if (this.ws.readyState === WebSocket.CONNECTING || this.ws.readyState === WebSocket.OPEN) this.ws.close(1000, "done");
    return withTimeout(this.closed, STEP_MS, `${this.path}: closing handshake`).catch(() => {});
  }
}

/**
 * One handshake probe, shared by every WebSocket test: when the target cannot
 * upgrade at all (e.g. plain upstream @astrojs/node), each test fails at once
 * with this diagnosis instead of waiting out its own timeouts.
 */
let gate;
function webSocketSupport() {
  gate ??= rawUpgrade("/api/echo", { closeWithinMs: 200 }).then(
    (r) => {
      if (r.status !== 101) {
        throw new Error(`no WebSocket support at ${BASE}: an upgrade to /api/echo answered "${r.statusLine}"${r.body ? ` with body ${JSON.stringify(r.body.slice(0, 200))}` : ""}`);
      }
    },
    (err) => {
      throw new Error(`no WebSocket support at ${BASE}: ${err.message}`);
    },
  );
  return gate;
}

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
