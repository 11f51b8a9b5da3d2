// Client side of the connection manager's e2e (e2e/connmgr_test.go): one
// scenario per run, against a server that the Go test started with the
// matching configuration.
//
//   ZASTRO_BASE=http://127.0.0.1:PORT ZASTRO_SCENARIO=pool node --test test/connmgr.test.mjs
//
// ZASTRO_SERVER_PID is the server's pid (the shutdown scenario signals it).
// Every wait is bounded; nothing sleeps to synchronise; only loopback targets.
import assert from "node:assert/strict";
import WebSocket from "ws";
import { STEP_MS, withTimeout, assertLoopback, scenarios, openChat, pollUntil, closeAll } from "./lib.mjs";

const BASE = process.env.ZASTRO_BASE ?? "";

const base = new URL(BASE || "http://invalid.invalid");
assertLoopback(base, `ZASTRO_BASE must be a loopback http URL, got ${JSON.stringify(BASE)}`);
const wsBase = `ws://${base.host}`;

/** Declares the test of one scenario; the others are not declared at all. */
const scenario = scenarios(STEP_MS * 6);

/**
 * Opens a socket to path. Resolves { ws, welcome } once the chat route's
 * welcome message arrived; rejects with .status when the handshake is refused.
 */
const open = (path, options = {}) => openChat(wsBase + path, options, path);

async function refused(path, options = {}) {
  try {
    const { ws } = await open(path, options);
    ws.terminate();
  } catch (error) {
    if (error.status) return error;
    throw error;
  }
  throw new Error(`the handshake to ${path} was accepted, want a refusal`);
}

async function admin(init) {
  const res = await fetch(new URL("/api/admin", base), { ...init, signal: AbortSignal.timeout(STEP_MS) });
  assert.equal(res.status, 200, `/api/admin answered ${res.status}`);
  return res.json();
}

function broadcast(message, tag) {
  return admin({ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ message, tag }) });
}

/** Polls the statistics until accept(stats) holds (bounded). */
function statsUntil(accept, what) {
  return pollUntil(admin, accept, (stats) => `statistics never showed ${what}: ${JSON.stringify(stats.manager)}`);
}

// ---------------------------------------------------------------- scenarios

scenario("pool", async () => {
  // maxConnections: 3 (connections.mjs or server.mjs)
  const sockets = [];
  try {
    for (let i = 0; i < 3; i++) sockets.push((await open("/api/chat?room=pool")).ws);
    const answer = await refused("/api/chat?room=pool");
    assert.equal(answer.status, 503);
    assert.match(answer.body, /Too many WebSocket connections/);
    const stats = await admin();
    assert.equal(stats.manager.totalManagedConnections, 3);
    assert.equal(stats.manager.rejected.maxConnections, 1);
    // A closed connection frees its slot.
    sockets.shift().close();
    await statsUntil((s) => s.manager.totalManagedConnections === 2, "the closed connection gone");
    sockets.push((await open("/api/chat?room=pool")).ws);
  } finally {
    await closeAll(sockets);
  }
});

scenario("per-ip", async () => {
  // maxConnectionsPerIP: 5, from astro.config.mjs alone (the adapter option).
  const sockets = [];
  try {
    for (let i = 0; i < 5; i++) sockets.push((await open("/api/chat?room=ip")).ws);
    const answer = await refused("/api/chat?room=ip");
    assert.equal(answer.status, 503);
    const stats = await admin();
    assert.equal(stats.manager.rejected.maxConnectionsPerIP, 1);
    assert.equal(stats.manager.poolStats.maxConnectionsPerIP, 5);
    assert.equal(stats.manager.active, true);
  } finally {
    await closeAll(sockets);
  }
});

scenario("rate", async () => {
  // rateLimitMaxConnections: 3 per 60 s
  for (let i = 0; i < 3; i++) {
    const { ws } = await open("/api/chat?room=rate");
    await closeAll([ws]);
  }
  const answer = await refused("/api/chat?room=rate");
  assert.equal(answer.status, 429);
  const retryAfter = Number(answer.headers["retry-after"]);
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${answer.headers["retry-after"]}`);
  const stats = await admin();
  assert.equal(stats.manager.rejected.rateLimit, 1);
  assert.equal(stats.traffic.totalConnectionsEver, 3);
});

scenario("idle", async () => {
  // idleTimeout: 1000: a socket that says nothing is closed by the server.
  const { ws } = await open("/api/chat?room=idle");
  const started = Date.now();
  assert.deepEqual(await withTimeout(ws.closed, STEP_MS, "the idle close"), { code: 1001, reason: "Idle timeout" });
  assert.ok(Date.now() - started >= 900, `closed after ${Date.now() - started} ms, before the idle timeout`);
  await statsUntil((s) => s.traffic.totalConnectionsClosed === 1, "the idle connection closed");
});

scenario("health", async () => {
  // enableHealthMonitoring with a short interval: a client that stops
  // answering pings is terminated; one that answers stays.
  const good = await open("/api/chat?room=health");
  const silent = await open("/api/chat?room=health", { autoPong: false });
  try {
    const end = await withTimeout(silent.ws.closed, STEP_MS, "the silent client terminated");
    assert.equal(end.code, 1006);
    assert.equal(good.ws.readyState, WebSocket.OPEN);
    const stats = await statsUntil((s) => s.manager.healthStats.healthy === 1, "a healthy connection");
    assert.equal(stats.manager.totalManagedConnections, 1);
  } finally {
    await closeAll([good.ws, silent.ws]);
  }
});

scenario("tags", async () => {
  // Earlier scenarios on this server leave traffic behind: count from here.
  const before = (await statsUntil((s) => s.manager.totalManagedConnections === 0, "no connection open")).traffic;
  const red1 = await open("/api/chat?room=red&name=ada");
  const red2 = await open("/api/chat?room=red&name=bob");
  const blue = await open("/api/chat?room=blue&name=cy");
  const sockets = [red1.ws, red2.ws, blue.ws];
  try {
    assert.notEqual(red1.welcome.id, red2.welcome.id);
    red1.ws.send("hello red");
    assert.equal(await red1.ws.next(), "ada: hello red");
    assert.equal(await red2.ws.next(), "ada: hello red");
    // Messages arrive in order: blue's next one is the broadcast to all, so it never got the red one.
    assert.deepEqual(await broadcast("to everyone"), { sent: 3 });
    for (const ws of sockets) assert.equal(await ws.next(), "to everyone");
    assert.deepEqual(await broadcast("to blue", "room:blue"), { sent: 1 });
    assert.equal(await blue.ws.next(), "to blue");
    assert.deepEqual(await broadcast("to red", "room:red"), { sent: 2 });
    assert.equal(await red2.ws.next(), "to red");

    const { manager, traffic } = await admin();
    assert.equal(manager.totalManagedConnections, 3);
    assert.deepEqual(manager.connectionsByRoute, { "/api/chat": 3 });
    assert.equal(traffic.totalConnectionsEver - before.totalConnectionsEver, 3);
    assert.equal(traffic.messagesIn - before.messagesIn, 1);
    assert.equal(traffic.bytesIn - before.bytesIn, "hello red".length);
    // 3 welcomes, 2 room messages, 3 + 1 + 2 broadcasts
    assert.equal(traffic.messagesOut - before.messagesOut, 11);
    assert.equal(traffic.routes["/api/chat"].active, 3);
    const tags = traffic.connections.map((c) => c.tags.join()).sort();
    assert.deepEqual(tags, ["room:blue", "room:red", "room:red"]);
  } finally {
    await closeAll(sockets);
  }
});

scenario("shutdown", async () => {
  // SIGTERM: every client gets 1001, then the process ends (checked by the Go side).
  const pid = Number(process.env.ZASTRO_SERVER_PID);
  assert.ok(pid > 0, "ZASTRO_SERVER_PID is set");
  const a = await open("/api/chat?room=bye");
  const b = await open("/api/chat?room=bye");
  process.kill(pid, "SIGTERM");
  const closes = await withTimeout(Promise.all([a.ws.closed, b.ws.closed]), STEP_MS, "the shutdown closes");
  assert.deepEqual(closes, [
    { code: 1001, reason: "Server shutting down" },
    { code: 1001, reason: "Server shutting down" },
  ]);
});
