// The declarations of `zastro-websockets-cloudflare/room` must describe the
// implementation: each runtime export is assigned to its declared type.
import type * as declared from "zastro-websockets-cloudflare/room"
import * as room from "../../cloudflare/room.js"

export const roomChecks = {
	toRoom: room.toRoom satisfies typeof declared.toRoom,
	WebSocketRoom: room.WebSocketRoom satisfies typeof declared.WebSocketRoom,
}

// A user's room, written against the declarations.
export class ChatRoom extends (room.WebSocketRoom as typeof declared.WebSocketRoom)<{ GREETING: string }, { user: string }> {
	override onOpen(socket: declared.RoomSocket<{ user: string }>): void {
		socket.binaryType = "arraybuffer"
		socket.send(`${this.env.GREETING} ${socket.data.user}`)
	}
	override onMessage(socket: declared.RoomSocket<{ user: string }>, message: declared.RoomMessage): void {
		const sent: number = this.broadcast(message, { except: socket, tag: "reader" })
		if (sent === 0) socket.close(4000, "alone")
	}
	override onClose(_socket: declared.RoomSocket<{ user: string }>, event: declared.RoomCloseEvent): void {
		this.broadcast(`left ${event.code} ${event.reason}`)
	}
}

// Nothing the implementation exports is left undeclared (internal helpers are listed here).
type Internal = "ROOM_HEADER"
type Undeclared<Impl, Declared> = Exclude<keyof Impl, keyof Declared | Internal>
export const roomComplete: Undeclared<typeof room, typeof declared> extends never ? true : never = true
