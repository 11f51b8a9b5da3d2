// The entry that the patched adapter imports: `./zastro/node/index.js`.

export { setupDevServer } from "./dev.js"
export type { DevServer } from "./dev.js"
export { prepareLocals } from "./locals.js"
export type { AdapterOptions, WebSocketOptions } from "./options.js"
export { attachUpgrade, createUpgradeHandler, withUpgradeHandler } from "./upgrade.js"
export type { RequestHandler, UpgradeHandler } from "./upgrade.js"
