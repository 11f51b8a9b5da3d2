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
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { STEP_MS, loopbackTarget, test, withTimeout, rawUpgrade, QueuedSocket } from "./lib.mjs";

const MODE = process.env.ZASTRO_MODE ?? "build";
const GENERATION = process.env.ZASTRO_CF_GENERATION ?? "workers";

const { base, wsBase } = loopbackTarget();
const run = randomBytes(4).toString("hex");

/** A room member: a WebSocket client that queues messages in arrival order (lib.mjs). */
class Member extends QueuedSocket {
  constructor(room, name, { tags = [], protocols, binaryType } = {}) {
    const query = new URLSearchParams({ room: `${run}-${room}`, name });
    for (const tag of tags) query.append("tag", tag);
    if (binaryType) query.set("binaryType", binaryType);
    if (protocols?.length) query.set("protocol", protocols[protocols.length - 1]);
    super(`${wsBase}/api/room?${query}`, protocols, `${name}@${room}`);
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

  /** Nothing arrived before now: the next message is the answer to a ping sent now. */
  async expectNothing(what) {
    this.send("ping");
    assert.equal(await this.next("pong"), "pong", `${this.label} got a message it should not have (${what})`);
  }
}

/** A hand-made upgrade request (lib.mjs): resolves with the response head (status line and headers). */
const rawUpgradeHead = (path) => rawUpgrade(base, path, { closeWithinMs: 0 });

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
