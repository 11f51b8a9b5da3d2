// One manager per process: separately bundled copies of the package (as the
// server build and node_modules are) share it through globalThis.

import assert from "node:assert/strict"
import { test } from "node:test"
import * as bundled from "../connection-manager.js"
import type { ManagedConnection } from "../connection-types.js"
import { closeAll, connect, echoRoute, nextEvent, startServer } from "./helpers.js"

type ManagerModule = typeof bundled

async function copy(name: string): Promise<ManagerModule> {
	return (await import(new URL(`./copies/${name}/connection-manager.js`, import.meta.url).href)) as ManagerModule
}

test("every copy of the package gets the same manager and sees the same connections", async () => {
	const a = await copy("a")
	const b = await copy("b")
	assert.notEqual(a.getConnectionManager, b.getConnectionManager, "the copies are separate modules")
	const manager = b.getConnectionManager({ handleSignals: false })
	assert.equal(a.getConnectionManager(), manager)
	assert.equal(bundled.getConnectionManager(), manager)
	assert.equal(a.ConnectionManagerAPI.getInstance(), manager)

	let idFromCopy: string | undefined
	const server = await startServer(
		echoRoute((socket) => {
			idFromCopy = a.getConnectionId(socket)
			if (idFromCopy) b.getConnectionManager().addConnectionTag(idFromCopy, "from-copy-a")
		}),
	)
	try {
		const added = nextEvent<[ManagedConnection]>(manager, "connection:added")
		const ws = await connect(server.url + "/one")
		const [connection] = await added
		assert.equal(connection.id, idFromCopy)
		assert.deepEqual([...connection.tags], ["from-copy-a"])
		assert.equal(b.ConnectionManagerAPI.getStats().totalManagedConnections, 1)
		await closeAll([ws])
	} finally {
		await server.close()
	}
})

test("an object that is not a manager cannot be made", () => {
	assert.throws(() => new bundled.ConnectionManager(), /getConnectionManager/)
})
