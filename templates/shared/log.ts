// Logging of the WebSocket runtime. Errors from user code and from the
// network are reported here and never thrown into the server.

const PREFIX = "[zastro-websockets]"

/** Reports an error that the runtime caught so that it cannot crash the server. */
export function logError(message: string, error?: unknown): void {
	if (error === undefined) {
		console.error(`${PREFIX} ${message}`)
	} else {
		console.error(`${PREFIX} ${message}`, error)
	}
}

/** Reports something the developer should fix, that is not an error of one request. */
export function logWarning(message: string): void {
	console.warn(`${PREFIX} ${message}`)
}
