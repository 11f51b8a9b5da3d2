// Middleware mode: the user's own server takes the exported upgrade handler.
import { createServer } from "node:http"
import type { UpgradeHandler } from "../../node/upgrade-handler.js"

export function serve(handler: Parameters<typeof createServer>[1], upgradeHandler: UpgradeHandler) {
	const server = createServer(handler)
	server.on("upgrade", upgradeHandler)
	server.on("upgrade", (req, socket, head) => upgradeHandler(req, socket, head, () => socket.destroy(), { user: "x" }))
	return server
}
