// Rooms in Durable Objects (zastro-websockets-cloudflare/room), checked from
// outside with real clients (Node's global WebSocket) against the e2e app's
// /api/room route, which hands the upgrade to the room's Durable Object
// (testdata/e2e/cloudflare-app/rooms/common/src/rooms/test-room.ts).
//
//   ZASTRO_BASE=http://127.0.0.1:PORT ZASTRO_MODE=build|dev ZASTRO_CF_GENERATION=runtime|workers \
//     node --test --test-force-exit testdata/e2e/client/cloudflare-rooms.test.mjs
//
// Every wait is bounded; "nothing arrived" is proven by ordering (a ping
// answered on the same connection after the event), never by sleeping.
// Only loopback targets are accepted. Room names are unique per run.
import { test as nodeTest } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { createHash, randomBytes } from "node:crypto";

const BASE = process.env.ZASTRO_BASE ?? "";
const MODE = process.env.ZASTRO_MODE ?? "build";
const GENERATION = process.env.ZASTRO_CF_GENERATION ?? "workers";
const STEP_MS = Number(process.env.ZASTRO_STEP_TIMEOUT_MS ?? 10_000);

const base = new URL(BASE || "http://invalid.invalid");
if (!BASE || !["127.0.0.1", "localhost", "[::1]"].includes(base.hostname)) {
  throw new Error(`ZASTRO_BASE must be a loopback http URL (http://127.0.0.1:PORT), got ${JSON.stringify(BASE)}`);
}
if (typeof WebSocket !== "function") {
  throw new Error(`this suite needs a global WebSocket (Node >= 22), running on Node ${process.version}`);
}
const wsBase = `ws://${base.host}`;
const run = randomBytes(4).toString("hex");

function test(name, fn) {
  return nodeTest(name, { timeout: STEP_MS * 6 }, fn);
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A room member: a WebSocket client that queues messages in arrival order. */
class Member {
  constructor(room, name, { tags = [], protocols, binaryType } = {}) {
    const query = new URLSearchParams({ room: `${run}-${room}`, name });
    for (const tag of tags) query.append("tag", tag);
    if (binaryType) query.set("binaryType", binaryType);
    if (protocols?.length) query.set("protocol", protocols[protocols.length - 1]);
    this.label = `${name}@${room}`;
    this.queue = [];
    this.waiters = [];
    this.ws = protocols ? new WebSocket(`${wsBase}/api/room?${query}`, protocols) : new WebSocket(`${wsBase}/api/room?${query}`);
    this.ws.binaryType = "arraybuffer";
    this.closed = new Promise((resolve) => {
      this.ws.addEventListener("close", (e) => {
        this.closeEvent = { code: e.code, reason: e.reason, wasClean: e.wasClean };
        resolve(this.closeEvent);
        for (const w of this.waiters.splice(0)) w.reject(new Error(`${this.label}: closed (code ${e.code}) while waiting for a message`));
      });
    });
    this.ws.addEventListener("message", (e) => {
      const w = this.waiters.shift();
      if (w) w.resolve(e.data);
      else this.queue.push(e.data);
    });
  }

  static async join(room, name, options) {
    const m = new Member(room, name, options);
    const opened = new Promise((resolve, reject) => {
      m.ws.addEventListener("open", resolve, { once: true });
      m.ws.addEventListener("close", (e) => reject(new Error(`${m.label}: closed before open (code ${e.code})`)), { once: true });
    });
    await withTimeout(opened, STEP_MS, `${m.label}: handshake`);
    const joined = await m.next("the join message");
    assert.match(joined, new RegExp(`^joined:${name}:\\d+$`), `${m.label}: first message`);
    return m;
  }

  next(what = "a message") {
    if (this.queue.length) return Promise.resolve(this.queue.shift());
    if (this.closeEvent) return Promise.reject(new Error(`${this.label}: already closed (code ${this.closeEvent.code}) while waiting for ${what}`));
    const p = new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
    return withTimeout(p, STEP_MS, `${this.label}: waiting for ${what}`);
  }

  send(data) {
    this.ws.send(data);
  }

  /** Nothing arrived before now: the next message is the answer to a ping sent now. */
  async expectNothing(what) {
    this.send("ping");
    assert.equal(await this.next("pong"), "pong", `${this.label} got a message it should not have (${what})`);
  }

  close(code = 1000, reason = "done") {
    if (this.ws.readyState <= WebSocket.OPEN) this.ws.close(code, reason);
    return withTimeout(this.closed, STEP_MS, `${this.label}: closing handshake`);
  }
}

/** A hand-made upgrade request: resolves with the response head (status line and headers). */
function rawUpgradeHead(path) {
  return new Promise((resolve, reject) => {
    const key = randomBytes(16).toString("base64");
    const sock = net.connect({ host: base.hostname.replace(/^\[|\]$/g, ""), port: Number(base.port || 80) });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => finish(new Error(`raw upgrade ${path}: no response head within ${STEP_MS} ms`)), STEP_MS);
    function finish(err, value) {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(value);
    }
    sock.on("connect", () => {
      sock.write(
        [`GET ${path} HTTP/1.1`, `Host: ${base.host}`, "Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 13", `Sec-WebSocket-Key: ${key}`].join("\r\n") +
          "\r\n\r\n",
      );
    });
    sock.on("data", (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      const lines = buf.subarray(0, end).toString("latin1").split("\r\n");
      const headers = {};
      for (const line of lines.slice(1)) {
        const i = line.indexOf(":");
        if (i > 0) {
          const name = line.slice(0, i).trim().toLowerCase();
          headers[name] = headers[name] === undefined ? line.slice(i + 1).trim() : `${headers[name]}, ${line.slice(i + 1).trim()}`;
        }
      }
      finish(null, { statusLine: lines[0], status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0])?.[1] ?? 0), headers, key });
    });
    sock.on("error", (err) => finish(new Error(`raw upgrade ${path}: ${err.message}`)));
    sock.on("close", () => finish(new Error(`raw upgrade ${path}: connection closed before a response head`)));
  });
}

test("rooms: the room's 101 reaches the client with a valid accept, the route's cookie, and no private header", async () => {
  const r = await rawUpgradeHead(`/api/room?room=${run}-raw&name=raw`);
  assert.equal(r.status, 101, `status line: ${r.statusLine}`);
  const accept = createHash("sha1").update(r.key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
  assert.equal(r.headers["sec-websocket-accept"], accept);
  assert.equal(r.headers["x-zastro-upgrade"], undefined, "the private token header must not reach the client");
  assert.match(r.headers["set-cookie"] ?? "", /(^|, )zastro-room=1(;|$)/, "a cookie set on the context travels with the room's 101");
});

test("rooms: the route hands the upgrade to the room (101, join message, member count)", async () => {
  const a = await Member.join("count", "ada");
  const b = await Member.join("count", "bob");
  b.send("info");
  const info = JSON.parse(await b.next("info"));
  assert.equal(info.name, "bob");
  assert.equal(info.count, 2, "two sockets in the room");
  assert.equal(info.readyState, 1);
  assert.match(info.url, /^ws:\/\/.+\/api\/room\?/);
  await a.close();
  await b.close();
});

test("rooms: a broadcast reaches every member of the room, and nobody in another room", async () => {
  const a = await Member.join("chat", "ada");
  const b = await Member.join("chat", "bob");
  const c = await Member.join("elsewhere", "cyd");
  a.send("all:hello room");
  assert.equal(await a.next("the broadcast"), "from:ada:hello room");
  assert.equal(await b.next("the broadcast"), "from:ada:hello room");
  await c.expectNothing("a broadcast of another room");
  b.send("others:only for ada");
  assert.equal(await a.next("the broadcast"), "from:bob:only for ada");
  await b.expectNothing("its own broadcast with except");
  await Promise.all([a.close(), b.close(), c.close()]);
});

test("rooms: a broadcast by tag reaches only the tagged sockets", async () => {
  const a = await Member.join("tags", "ada", { tags: ["readers", "admins"] });
  const b = await Member.join("tags", "bob", { tags: ["readers"] });
  const c = await Member.join("tags", "cyd");
  c.send("tag:admins:for admins");
  assert.equal(await a.next("the tagged broadcast"), "tagged:admins:for admins");
  await b.expectNothing("a broadcast to a tag it does not have");
  await c.expectNothing("a broadcast to a tag it does not have");
  c.send("tag:readers:for readers");
  assert.equal(await a.next("the tagged broadcast"), "tagged:readers:for readers");
  assert.equal(await b.next("the tagged broadcast"), "tagged:readers:for readers");
  b.send("info");
  assert.deepEqual(JSON.parse(await b.next("info")).tags, ["readers"]);
  await Promise.all([a.close(), b.close(), c.close()]);
});

test("rooms: the client's close code and reason reach the room; the client gets its own code back", async () => {
  const a = await Member.join("close", "ada");
  const b = await Member.join("close", "bob");
  const event = await a.close(4005, "gone fishing");
  assert.equal(event.code, 4005, "the room answers the close frame with the same code");
  assert.equal(event.reason, "gone fishing");
  assert.equal(event.wasClean, true);
  assert.equal(await b.next("the leave message"), "left:ada:4005:gone fishing");
  await b.close();
});

test("rooms: the room closes a socket with its code and reason", async () => {
  const a = await Member.join("server-close", "ada");
  a.send("close-me");
  const event = await withTimeout(a.closed, STEP_MS, "the room's close");
  assert.equal(event.code, 4002);
  assert.equal(event.reason, "room bye");
  assert.equal(event.wasClean, true);
});

test("rooms: binary messages arrive as Blob by default and as ArrayBuffer with binaryType", async () => {
  const bytes = new Uint8Array([0, 1, 2, 250, 255]);
  const blob = await Member.join("binary", "ada");
  blob.send(bytes);
  assert.equal(await blob.next("type"), "type:blob");
  assert.deepEqual(new Uint8Array(await blob.next("echo")), bytes);
  const buffer = await Member.join("binary", "bob", { binaryType: "arraybuffer" });
  buffer.send(bytes);
  assert.equal(await buffer.next("type"), "type:arraybuffer");
  assert.deepEqual(new Uint8Array(await buffer.next("echo")), bytes);
  buffer.send("info");
  assert.equal(JSON.parse(await buffer.next("info")).binaryType, "arraybuffer", "binaryType is kept with the socket");
  await Promise.all([blob.close(), buffer.close()]);
});

test("rooms: an exception in a room's handler leaves the socket and the room alive", async () => {
  const a = await Member.join("throw", "ada");
  const b = await Member.join("throw", "bob");
  a.send("throw");
  a.send("all:still here");
  assert.equal(await a.next("the broadcast"), "from:ada:still here");
  assert.equal(await b.next("the broadcast"), "from:ada:still here");
  await Promise.all([a.close(), b.close()]);
});

test("rooms: the subprotocol selected by the route reaches the client", async () => {
  const a = await Member.join("proto", "ada", { protocols: ["chat.v1", "room.v1"] });
  assert.equal(a.ws.protocol, "room.v1", "the client sees the route's choice, not the first offered");
  a.send("info");
  assert.equal(JSON.parse(await a.next("info")).protocol, "room.v1", "the room's socket knows the selected subprotocol");
  await a.close();
});

test("rooms: a plain GET of the room route is answered by the route (426)", async () => {
  const res = await fetch(new URL("/api/room?room=x", base), { signal: AbortSignal.timeout(STEP_MS) });
  await res.arrayBuffer();
  assert.equal(res.status, 426);
});
