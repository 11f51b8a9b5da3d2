// What the connection manager's client suites (connmgr.test.mjs,
// cluster.test.mjs) share: bounded waits, one scenario per run, a chat-route
// client that queues its messages, closing many sockets. Copied with the app,
// where `ws` is installed. No test lives here.
import { test } from "node:test";
import WebSocket from "ws";

/** One bound for a single step (connect, one message, one response). */
export const STEP_MS = 10_000;

export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Only loopback targets: throws for any other URL. */
export function assertLoopback(url, message) {
  if (!["127.0.0.1", "localhost", "[::1]"].includes(url.hostname)) throw new Error(message);
}

/**
 * Returns scenario(name, fn), which declares the test of the scenario that
 * ZASTRO_SCENARIO names; the others are not declared at all.
 */
export function scenarios(timeout) {
  const selected = process.env.ZASTRO_SCENARIO ?? "";
  return (name, fn) => {
    if (name === selected) test(name, { timeout }, fn);
  };
}

/**
 * Opens a socket to url (the chat route). Resolves { ws, welcome } once the
 * route's welcome message arrived; ws.next(what) reads the next message
 * (bounded), ws.closed resolves with the close code and reason. Rejects with
 * .status, .headers and .body when the handshake is refused. label names the
 * socket in errors.
 */
export function openChat(url, options, label) {
  const ws = new WebSocket(url, options);
  const messages = [];
  const waiters = [];
  ws.on("message", (data) => {
    const text = data.toString("utf8");
    const waiter = waiters.shift();
    if (waiter) waiter(text);
    else messages.push(text);
  });
  ws.next = (what = "a message") =>
    withTimeout(
      new Promise((resolve) => {
        if (messages.length > 0) resolve(messages.shift());
        else waiters.push(resolve);
      }),
      STEP_MS,
      `${what} on ${label}`,
    );
  ws.closed = new Promise((resolve) => ws.once("close", (code, reason) => resolve({ code, reason: reason.toString("utf8") })));
  return withTimeout(
    new Promise((resolve, reject) => {
      ws.once("open", async () => {
        try {
          resolve({ ws, welcome: JSON.parse(await ws.next("the welcome")) });
        } catch (error) {
          reject(error);
        }
      });
      ws.once("unexpected-response", (_req, res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => (body += chunk));
        res.on("end", () => {
          ws.terminate();
          reject(Object.assign(new Error(`handshake refused: ${res.statusCode} ${body}`), { status: res.statusCode, headers: res.headers, body }));
        });
      });
      ws.once("error", reject);
    }),
    STEP_MS,
    `open ${label}`,
  );
}

/** Polls read() until accept(value) holds, within ms; describe(value) explains a timeout. */
export async function pollUntil(read, accept, describe, ms = STEP_MS) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(describe(value));
    await new Promise((resolve) => setTimeout(resolve, 50)); // poll interval
  }
}

/** Closes every socket that is not closed yet and waits for each close (bounded). */
export async function closeAll(sockets) {
  await Promise.all(
    sockets.map((ws) => {
      if (ws.readyState === WebSocket.CLOSED) return undefined;
      ws.close();
      return withTimeout(ws.closed, STEP_MS, "close");
    }),
  );
}
