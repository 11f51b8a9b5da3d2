// The worker-side entry that the patched request handler imports:
// `../zastro/cloudflare/index.js`. It runs in workerd and imports nothing from
// Node; the `astro dev` side (Node) is dev.ts, imported by the integration.

export { finishResponse, prepareLocals } from "./locals.js"
export type { UpgradeLocals } from "./locals.js"
