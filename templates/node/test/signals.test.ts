// SIGTERM and SIGINT with the manager on: every client gets 1001, the process
// waits up to shutdownTimeout and then ends as the signal would have ended it
// (or as the application's own listener decides). Each case is a child
// process running fixtures/signal-server.js.

import assert from "node:assert/strict"
import { type ChildProcess, spawn } from "node:child_process"
import { once } from "node:events"
import { fileURLToPath } from "node:url"
import { test } from "node:test"
import type WebSocket from "ws"
import { closed, connect, STEP_MS, withTimeout } from "./helpers.js"

const FIXTURE = fileURLToPath(new URL("./fixtures/signal-server.js", import.meta.url))

interface Child {
	readonly process: ChildProcess
	readonly url: string
	output(): string
	exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

async function startChild(env: Record<string, string>): Promise<Child> {
	const child = spawn(process.execPath, [FIXTURE], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
	let output = ""
	child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
		output += chunk
	})
	child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
		output += chunk
	})
	const exit = once(child, "exit").then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }))
	const url = await withTimeout(
		new Promise<string>((resolve, reject) => {
			const check = () => {
				const match = /listening (ws:\/\/\S+)/.exec(output)
				if (match) resolve(match[1])
			}
			child.stdout?.on("data", check)
			void exit.then(() => reject(new Error(`the server exited before listening:\n${output}`)))
		}),
		STEP_MS,
		"the child server listening",
	)
	return { process: child, url, output: () => output, exit }
}

async function stopped(child: Child, ms: number) {
	try {
		return await withTimeout(child.exit, ms, "the child process to exit")
	} catch (error) {
		child.process.kill("SIGKILL")
		throw new Error(`${String(error)}\n${child.output()}`)
	}
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
	test(`${signal}: clients get 1001, then the signal ends the process`, async () => {
		const child = await startChild({ ZASTRO_SHUTDOWN_TIMEOUT: "5000" })
		const clients: WebSocket[] = [await connect(child.url + "/a"), await connect(child.url + "/b")]
		const closes = clients.map((ws) => closed(ws))
		child.process.kill(signal)
		assert.deepEqual(await Promise.all(closes), Array(2).fill({ code: 1001, reason: "Server shutting down" }))
		assert.deepEqual(await stopped(child, STEP_MS), { code: null, signal })
	})
}

test("a client that never finishes the closing handshake does not keep the process alive past shutdownTimeout", async () => {
	const child = await startChild({ ZASTRO_SHUTDOWN_TIMEOUT: "300" })
	// autoPong off is not enough to stall a close; a paused socket is: ws never reads the close frame.
	const ws = await connect(child.url + "/stuck")
	;(ws as unknown as { _socket: { pause(): void } })._socket.pause()
	const started = Date.now()
	child.process.kill("SIGTERM")
	assert.deepEqual(await stopped(child, STEP_MS), { code: null, signal: "SIGTERM" })
	assert.ok(Date.now() - started >= 250, "the process waited for the shutdown timeout")
	ws.terminate()
})

test("the application's own signal listener decides when the process exits", async () => {
	const child = await startChild({ ZASTRO_OWN_LISTENER: "1" })
	const ws = await connect(child.url + "/own")
	const close = closed(ws)
	child.process.kill("SIGTERM")
	assert.equal((await close).code, 1001)
	assert.deepEqual(await stopped(child, STEP_MS), { code: 0, signal: null })
	assert.match(child.output(), /own listener: \{"closed":1,"terminated":0\}/)
})

test("without the manager, signals are left alone", async () => {
	const child = await startChild({ ZASTRO_NO_MANAGER: "1" })
	const ws = await connect(child.url + "/plain")
	const close = closed(ws)
	child.process.kill("SIGTERM")
	assert.deepEqual(await stopped(child, STEP_MS), { code: null, signal: "SIGTERM" })
	assert.equal((await close).code, 1006)
})
