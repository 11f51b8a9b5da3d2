// Client side of the cluster e2e (e2e/cluster_test.go): three server
// processes of the same build share one redis-server. One scenario per run;
// the Go test kills and restarts Redis and an instance between runs.
//
//   ZASTRO_BASES=http://127.0.0.1:A,http://127.0.0.1:B,http://127.0.0.1:C \
//   ZASTRO_SCENARIO=delivery node --test test/cluster.test.mjs
//
// The instances run with rateLimitMaxConnections 12 per minute and
// maxConnectionsPerIP 5 (astro.config.mjs): the scenarios open exactly as many
// connections as the limits allow where they test them.
// ZASTRO_GONE_PID: the pid of the instance the Go test killed (scenario gone).
// Every wait is bounded; nothing sleeps to synchronise; only loopback targets.
import assert from "node:assert/strict";
import WebSocket from "ws";
import { STEP_MS, withTimeout, assertLoopback, scenarios, openChat, pollUntil, closeAll } from "./lib.mjs";

const BASES = (process.env.ZASTRO_BASES ?? "").split(",").filter(Boolean).map((b) => new URL(b));
/** Reconnection backs off up to 5 s: waits for Redis allow more. */
const RECONNECT_MS = 30_000;

for (const base of BASES) assertLoopback(base, `not a loopback URL: ${base}`);

const scenario = scenarios(120_000);

/** Opens the chat route on instance `i`; resolves { ws, id } after the welcome; rejects with .status when refused. */
async function open(i, room) {
  const { ws, welcome } = await openChat(`ws://${BASES[i].host}/api/chat?room=${room}`, {}, `instance ${i}`);
  return { ws, id: welcome.id };
}

async function call(i, init) {
  const res = await fetch(new URL("/api/cluster", BASES[i]), { ...init, signal: AbortSignal.timeout(STEP_MS) });
  assert.equal(res.status, 200, `/api/cluster on instance ${i} answered ${res.status}`);
  return res.json();
}

const view = (i) => call(i);
const command = (i, body) => call(i, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

/** Polls instance i's view until accept(view) holds (bounded). */
function viewUntil(i, accept, what, ms = STEP_MS) {
  return pollUntil(() => view(i), accept, (v) => `instance ${i} never showed ${what}: ${JSON.stringify({ cluster: v.cluster, events: v.events })}`, ms);
}

let fences = 0;

/**
 * Two fence broadcasts, from the first and the last instance, then each
 * client's messages up to both fences must be exactly want[name], in order.
 * Every copy of an earlier broadcast that crosses Redis was published before
 * the fence of another instance, so a duplicate shows up before that fence.
 */
async function settle(clients, want, what) {
  const n = ++fences;
  const marks = [`fence ${n}a`, `fence ${n}b`];
  await command(0, { action: "broadcast", message: marks[0] });
  await command(BASES.length - 1, { action: "broadcast", message: marks[1] });
  for (const [name, ws] of Object.entries(clients)) {
    const got = [];
    const seen = new Set();
    while (seen.size < marks.length) {
      const message = await ws.next(`${what}, on ${name}`);
      if (marks.includes(message)) seen.add(message);
      else got.push(message);
    }
    assert.deepEqual(got, want[name], `${what}: messages on ${name}`);
  }
}

/** Every instance sees the whole cluster: all alive and the given connections in total. */
async function clusterSettled(alive, total) {
  for (let i = 0; i < BASES.length; i++) {
    await viewUntil(
      i,
      (v) => v.cluster.connected && v.cluster.instancesAlive === alive && v.cluster.totalConnections === total,
      `${alive} instances and ${total} connections`,
    );
  }
}

// ---------------------------------------------------------------- scenarios

scenario("delivery", async () => {
  await clusterSettled(3, 0);
  const a = await open(0, "red");
  const b = await open(1, "red");
  const c = await open(2, "blue");
  const sockets = [a.ws, b.ws, c.ws];
  try {
    const stats = await viewUntil(0, (v) => v.cluster.totalConnections === 3, "3 connections in total");
    assert.equal(stats.cluster.instances.length, 3);
    assert.deepEqual(
      stats.cluster.instances.map((instance) => instance.connections),
      [1, 1, 1],
    );
    assert.equal(stats.cluster.instances.filter((instance) => instance.self).length, 1);

    const clients = { a: a.ws, b: b.ws, c: c.ws };
    // A route on B broadcasts: each client gets it once.
    assert.deepEqual(await command(1, { action: "broadcast", message: "from B" }), { sent: 1 });
    await settle(clients, { a: ["from B"], b: ["from B"], c: ["from B"] }, "a broadcast from B");

    // except: the client on A is left out, by id, from a broadcast on C.
    await command(2, { action: "broadcast", message: "not for A", except: a.id });
    await settle(clients, { a: [], b: ["not for A"], c: ["not for A"] }, "except");

    // Tags stay local but a tagged broadcast reaches the tag on every instance.
    assert.deepEqual(await command(2, { action: "broadcast", tag: "room:red", message: "to red" }), { sent: 0 });
    await settle(clients, { a: ["to red"], b: ["to red"], c: [] }, "a tagged broadcast");

    // A chat message on A reaches the room on B through the route's own broadcastToTag.
    a.ws.send("hello");
    await settle(clients, { a: ["anonymous: hello"], b: ["anonymous: hello"], c: [] }, "the chat route");

    // closeConnections on C closes the red clients on A and B.
    assert.deepEqual(await command(2, { action: "close", tag: "room:red", code: 4000, reason: "room closed" }), { closed: 0 });
    for (const ws of [a.ws, b.ws]) assert.deepEqual(await withTimeout(ws.closed, STEP_MS, "the remote close"), { code: 4000, reason: "room closed" });
    assert.equal(c.ws.readyState, WebSocket.OPEN);
    await viewUntil(1, (v) => v.cluster.totalConnections === 1, "1 connection left");
  } finally {
    await closeAll(sockets);
  }
});

scenario("per-ip", async () => {
  // maxConnectionsPerIP: 5 (astro.config.mjs), counted across the instances.
  await clusterSettled(3, 0);
  const sockets = [];
  try {
    for (const i of [0, 0, 1, 1, 2]) sockets.push((await open(i, "ip")).ws);
    for (const i of [0, 1, 2]) {
      const error = await open(i, "ip").then(
        ({ ws }) => {
          sockets.push(ws);
          return undefined;
        },
        (e) => e,
      );
      assert.equal(error?.status, 503, `a sixth connection on instance ${i} was not refused`);
    }
    const v = await view(2);
    assert.equal(v.local.rejected.maxConnectionsPerIP, 1);
    assert.equal(v.local.totalManagedConnections, 1);
    // A closed connection on A frees a slot on B.
    await closeAll([sockets.shift()]);
    const deadline = Date.now() + STEP_MS;
    for (;;) {
      const result = await open(1, "ip").then(({ ws }) => ws, (e) => e);
      if (result instanceof WebSocket) {
        sockets.push(result);
        break;
      }
      assert.equal(result.status, 503);
      if (Date.now() > deadline) throw new Error("the freed slot never became available on B");
      await new Promise((resolve) => setTimeout(resolve, 50)); // poll interval
    }
  } finally {
    await closeAll(sockets);
  }
});

scenario("redis-down", async () => {
  // The Go test killed redis-server: every instance reports cluster:down and
  // serves its own clients alone.
  for (let i = 0; i < BASES.length; i++) {
    await viewUntil(i, (v) => v.events.at(-1) === "down" && !v.cluster.connected, "cluster:down", RECONNECT_MS);
  }
  const a = await open(0, "alone");
  const b = await open(1, "alone");
  try {
    assert.deepEqual(await command(0, { action: "broadcast", message: "local on A" }), { sent: 1 });
    assert.equal(await a.ws.next("local delivery on A without Redis"), "local on A");
    assert.deepEqual(await command(1, { action: "broadcast", message: "local on B" }), { sent: 1 });
    // B's client never got A's broadcast: its next message is B's own.
    assert.equal(await b.ws.next("local delivery on B without Redis"), "local on B");
    const v = await view(0);
    assert.equal(v.cluster.instancesAlive, 1);
    assert.ok(v.cluster.droppedMessages >= 1, `droppedMessages ${v.cluster.droppedMessages}`);
  } finally {
    await closeAll([a.ws, b.ws]);
  }
});

scenario("redis-up", async () => {
  // The Go test started redis-server again on the same port: cluster:up, then
  // cross-instance delivery works again.
  for (let i = 0; i < BASES.length; i++) {
    await viewUntil(i, (v) => v.events.at(-1) === "up" && v.events.includes("down") && v.cluster.connected, "cluster:up after cluster:down", RECONNECT_MS);
  }
  await clusterSettled(3, 0);
  const a = await open(0, "back");
  const c = await open(2, "back");
  try {
    await command(1, { action: "broadcast", message: "from B again" });
    await settle({ a: a.ws, c: c.ws }, { a: ["from B again"], c: ["from B again"] }, "delivery after the outage");
  } finally {
    await closeAll([a.ws, c.ws]);
  }
});

scenario("rate", async () => {
  // rateLimitMaxConnections: 12 per minute, counted in Redis since it came
  // back empty: redis-up opened 2, 10 more fill the window, across instances
  // (no instance alone reaches 12).
  for (const i of [0, 1, 2, 0, 1, 2, 0, 1, 2, 0]) {
    const { ws } = await open(i, "rate");
    await closeAll([ws]);
  }
  for (const i of [0, 1, 2]) {
    const error = await open(i, "rate").then(
      ({ ws }) => {
        ws.terminate();
        return undefined;
      },
      (e) => e,
    );
    assert.equal(error?.status, 429, `instance ${i} let a thirteenth connection in within the window`);
    const retryAfter = Number(error.headers["retry-after"]);
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${error.headers["retry-after"]}`);
  }
  const v = await view(1);
  assert.equal(v.local.rejected.rateLimit, 1);
});

scenario("unreachable", async () => {
  // An instance whose Redis does not answer at start: it serves anyway,
  // reports cluster:down and delivers locally.
  const v = await viewUntil(0, (v) => v.events.includes("down"), "cluster:down at start", RECONNECT_MS);
  assert.equal(v.cluster.connected, false);
  assert.deepEqual(v.events, ["down"]);
  const a = await open(0, "early");
  try {
    assert.deepEqual(await command(0, { action: "broadcast", message: "without Redis" }), { sent: 1 });
    assert.equal(await a.ws.next("local delivery without Redis from the start"), "without Redis");
  } finally {
    await closeAll([a.ws]);
  }
});

scenario("late-redis", async () => {
  // Its Redis started later: the instance joins by itself.
  const v = await viewUntil(0, (v) => v.events.at(-1) === "up" && v.cluster.connected, "cluster:up once Redis answers", RECONNECT_MS);
  assert.deepEqual(v.events, ["down", "up"]);
  await viewUntil(0, (v) => v.cluster.instancesAlive === 1 && v.cluster.instances[0].self, "its own heartbeat in Redis");
});

scenario("gone", async () => {
  // The Go test killed one instance (SIGKILL): its heartbeat expires and it
  // drops out of the statistics of the others.
  const pid = Number(process.env.ZASTRO_GONE_PID);
  assert.ok(pid > 0, "ZASTRO_GONE_PID is set");
  for (let i = 0; i < BASES.length; i++) {
    const v = await viewUntil(i, (v) => v.cluster.instancesAlive === 2, "2 instances alive");
    assert.ok(!v.cluster.instances.some((instance) => instance.pid === pid), `the killed instance ${pid} is still listed`);
  }
});
