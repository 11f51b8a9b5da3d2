// The benchmark drivers' WebSocket client steps (runtime.mjs, instructions.mjs,
// cf-runtime.mjs): open a connection without compression, and close it with
// a closing handshake, ending it after a bound if the server never answers.
import WebSocket from "ws"

/** Opens `url`; rejects with the status of a refused upgrade. */
export function open(url) {
  return new Promise((res, rej) => {
    const ws = new WebSocket(url, { perMessageDeflate: false })
    ws.once("open", () => res(ws))
    ws.once("error", rej)
    ws.once("unexpected-response", (_, r) => rej(new Error(`${url}: HTTP ${r.statusCode}`)))
  })
}

/** Closes with 1000 and resolves once closed, or after `timeoutMs` (then the connection is dropped). */
export function close(ws, timeoutMs = 2000) {
  return new Promise((res) => {
    if (ws.readyState === WebSocket.CLOSED) return res()
    const timer = setTimeout(() => {
      ws.terminate()
      res()
    }, timeoutMs)
    ws.once("close", () => {
      clearTimeout(timer)
      res()
    })
    ws.close(1000)
  })
}
