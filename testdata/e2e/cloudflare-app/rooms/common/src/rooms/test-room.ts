// The Durable Object of the rooms e2e: one instance per room name. Every
// message is a command; replies are strings (binary messages are echoed).
//   "all:T"        -> everyone in the room, the sender included, gets "from:<name>:T"
//   "others:T"     -> everyone but the sender gets "from:<name>:T"
//   "tag:G:T"      -> the sockets tagged G get "tagged:G:T"
//   "ping"         -> "pong" (the sender only)
//   "info"         -> JSON {name, tags, binaryType, protocol, readyState, count, url}
//   "close-me"     -> the room closes this socket with 4002 "room bye"
//   "throw"        -> the handler throws (the socket and the room live on)
//   binary         -> "type:<blob|arraybuffer>" then the same bytes
// On join the socket gets "joined:<name>:<count>"; when a socket closes,
// the others get "left:<name>:<code>:<reason>" with the client's close code.
import { WebSocketRoom, type RoomCloseEvent, type RoomMessage, type RoomSocket } from "zastro-websockets-cloudflare/room";

type Member = { name: string };

export class TestRoom extends WebSocketRoom<unknown, Member> {
  override onOpen(socket: RoomSocket<Member>, request: Request): void {
    if (new URL(request.url).searchParams.get("binaryType") === "arraybuffer") socket.binaryType = "arraybuffer";
    socket.send(`joined:${socket.data.name}:${this.sockets().length}`);
  }

  override onMessage(socket: RoomSocket<Member>, message: RoomMessage): void {
    if (typeof message !== "string") {
      socket.send(`type:${message instanceof ArrayBuffer ? "arraybuffer" : message instanceof Blob ? "blob" : typeof message}`);
      socket.send(message);
      return;
    }
    const [command = "", ...rest] = message.split(":");
    const name = socket.data.name;
    switch (command) {
      case "all":
        this.broadcast(`from:${name}:${rest.join(":")}`);
        return;
      case "others":
        this.broadcast(`from:${name}:${rest.join(":")}`, { except: socket });
        return;
      case "tag": {
        const [tag = "", ...text] = rest;
        this.broadcast(`tagged:${tag}:${text.join(":")}`, { tag });
        return;
      }
      case "ping":
        socket.send("pong");
        return;
      case "info":
        socket.send(
          JSON.stringify({
            name,
            tags: socket.tags,
            binaryType: socket.binaryType,
            protocol: socket.protocol,
            readyState: socket.readyState,
            count: this.sockets().length,
            url: socket.url,
          }),
        );
        return;
      case "close-me":
        socket.close(4002, "room bye");
        return;
      case "throw":
        throw new Error("zastro-e2e: thrown from a room's onMessage on purpose");
    }
    socket.send(`unknown:${message}`);
  }

  override onClose(socket: RoomSocket<Member>, event: RoomCloseEvent): void {
    this.broadcast(`left:${socket.data.name}:${event.code}:${event.reason}`, { except: socket });
  }
}
