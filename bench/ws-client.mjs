// The benchmark drivers' client steps (runtime.mjs, instructions.mjs,
// cf-runtime.mjs): open a connection without compression, close it with a
// closing handshake, ending it after a bound if the server never answers,
// and ask a server for the status of a plain GET (to know it is up).
import { request } from "node:http"
import WebSocket from "ws"

/** The status of a GET of `path` on 127.0.0.1:`port`, or 0 if there is no answer within `timeoutMs`. */
export function httpStatus(port, path, timeoutMs) {
  return new Promise((res) => {
    const req = request({ host: "127.0.0.1", port, path, timeout: timeoutMs }, (r) => {
      r.resume()
      res(r.statusCode)
    })
    req.on("error", () => res(0))
    req.on("timeout", () => req.destroy())
    req.end()
  })
}

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
