// What the client suites of testdata/e2e/client share: the loopback target,
// bounded tests and waits, a raw HTTP/1.1 upgrade client and a WebSocket
// client that queues its messages. No test lives here.
//
// Every wait is bounded by STEP_MS (ZASTRO_STEP_TIMEOUT_MS, default 10000);
// nothing sleeps to synchronise.
import { test as nodeTest } from "node:test";
import net from "node:net";
import { randomBytes } from "node:crypto";

/** One bound for a single step (connect, one message, one response). */
export const STEP_MS = Number(process.env.ZASTRO_STEP_TIMEOUT_MS ?? 10_000);

/**
 * The target of the suite, from ZASTRO_BASE: only loopback http URLs are
 * accepted, and the suites need Node's global WebSocket.
 */
export function loopbackTarget() {
  const BASE = process.env.ZASTRO_BASE ?? "";
  const base = new URL(BASE || "http://invalid.invalid");
  if (!BASE || !["127.0.0.1", "localhost", "[::1]"].includes(base.hostname)) {
    throw new Error(`ZASTRO_BASE must be a loopback http URL (http://127.0.0.1:PORT), got ${JSON.stringify(BASE)}`);
  }
  if (typeof WebSocket !== "function") {
    throw new Error(`this suite needs a global WebSocket (Node >= 22), running on Node ${process.version}`);
  }
  return { BASE, base, wsBase: `ws://${base.host}`, port: Number(base.port || 80) };
}

/** node:test's test with a hard ceiling, so a bug in a helper cannot hang the run. */
export function test(name, opts, fn) {
  if (typeof opts === "function") [opts, fn] = [{}, opts];
  return nodeTest(name, { timeout: STEP_MS * 6, ...opts }, fn);
}

export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** GET with fetch, bounded, redirects not followed; the body as text. */
export async function httpGet(base, path, init = {}) {
  const res = await fetch(new URL(path, base), { ...init, signal: AbortSignal.timeout(STEP_MS), redirect: "manual" });
  const body = await res.text();
  return { status: res.status, headers: res.headers, body };
}

/**
 * Parses one HTTP/1.1 response at the start of buf. Returns null while it is
 * incomplete; bodies delimited by the end of the connection (no length, not
 * chunked) complete only when the caller passes ended=true. Header names are
 * lower case; a repeated header's values are joined with ", ".
 */
export function parseResponse(buf, ended = false) {
  const end = buf.indexOf("\r\n\r\n");
  if (end < 0) return null;
  const lines = buf.subarray(0, end).toString("latin1").split("\r\n");
  const statusLine = lines[0];
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (!m) throw new Error(`not an HTTP response: ${JSON.stringify(statusLine.slice(0, 100))}`);
  const headers = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(":");
    if (i <= 0) continue;
    const name = line.slice(0, i).trim().toLowerCase();
    const value = line.slice(i + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
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
 * A hand-made HTTP/1.1 upgrade request over a raw TCP socket to base (a URL).
 * Resolves with the server's response (status, statusLine, headers, body as
 * text, the key sent) and whether the server closed the connection within
 * `closeWithinMs` after answering a non-101 (0: resolve right after the
 * answer). Rejects when no complete response arrives within STEP_MS (a hung
 * socket). A connection closed without any response resolves with status 0
 * when `noResponse` is "status0", else rejects.
 *
 * `after`: first send a plain GET for that path on the same connection and
 * read its response, so the upgrade arrives on a reused keep-alive connection.
 */
export function rawUpgrade(base, path, { protocols, extraHeaders = {}, closeWithinMs = STEP_MS, after, noResponse = "reject" } = {}) {
  return new Promise((resolve, reject) => {
    const key = randomBytes(16).toString("base64");
    const sock = net.connect({ host: base.hostname.replace(/^\[|\]$/g, ""), port: Number(base.port || 80) });
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
      // After a rejection the connection is closed: give the server
      // closeWithinMs to do so; report rather than hang.
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
      if (noResponse === "status0" && buf.length === 0 && phase === "upgrade") {
        return finish(null, { status: 0, statusLine: "(connection closed without a response)", headers: {}, key, body: "", closedByServer: true });
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

/**
 * A WebSocket that queues its messages in arrival order: read them with
 * next(), each bounded by STEP_MS; close is recorded in closeEvent and
 * resolves closed. label names it in errors.
 */
export class QueuedSocket {
  constructor(url, protocols, label) {
    this.label = label;
    this.queue = [];
    this.waiters = [];
    this.ws = protocols ? new WebSocket(url, protocols) : new WebSocket(url);
    this.ws.binaryType = "arraybuffer";
    this.closed = new Promise((resolve) => {
      this.ws.addEventListener("close", (e) => {
        this.closeEvent = { code: e.code, reason: e.reason, wasClean: e.wasClean };
        resolve(this.closeEvent);
        for (const w of this.waiters.splice(0)) w.reject(new Error(`${label}: socket closed (code ${e.code}, reason ${JSON.stringify(e.reason)}) while waiting for a message`));
      });
    });
    this.ws.addEventListener("message", (e) => {
      const w = this.waiters.shift();
      if (w) w.resolve(e.data);
      else this.queue.push(e.data);
    });
  }

  /** Resolves once the handshake is done; rejects on error, close or STEP_MS. */
  opened(what = `WebSocket handshake to ${this.label}`) {
    if (this.ws.readyState === WebSocket.OPEN) return Promise.resolve(this);
    const opened = new Promise((resolve, reject) => {
      this.ws.addEventListener("open", () => resolve(this), { once: true });
      this.ws.addEventListener("error", () => reject(new Error("error event before open")), { once: true });
      this.ws.addEventListener("close", (e) => reject(new Error(`closed before open (code ${e.code})`)), { once: true });
    });
    return withTimeout(opened, STEP_MS, what);
  }

  next(what = "a message") {
    if (this.queue.length) return Promise.resolve(this.queue.shift());
    if (this.closeEvent) return Promise.reject(new Error(`${this.label}: socket already closed (code ${this.closeEvent.code}) while waiting for ${what}`));
    const p = new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
    return withTimeout(p, STEP_MS, `${this.label}: waiting for ${what}`);
  }

  send(data) {
    this.ws.send(data);
  }

  /** Starts the closing handshake; resolves with the close event, rejects after STEP_MS. */
  close(code = 1000, reason = "done") {
    if (this.ws.readyState === WebSocket.CONNECTING || this.ws.readyState === WebSocket.OPEN) this.ws.close(code, reason);
    return withTimeout(this.closed, STEP_MS, `${this.label}: closing handshake`);
  }
}

/**
 * One handshake probe shared by every WebSocket test of a suite: when the
 * target cannot upgrade at all (plain upstream adapter), each test fails at
 * once with the probe's diagnosis instead of waiting out its own timeouts.
 */
export function supportProbe(BASE, probe) {
  let gate;
  return () => {
    gate ??= probe().then(
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
  };
}
