// What `wrangler types` would generate for this project's bindings, reduced
// to what the routes use (ROOMS: the Durable Object namespace of the rooms).
declare module "cloudflare:workers" {
  export const env: {
    ZASTRO_GREETING: string;
    ROOMS: {
      idFromName(name: string): unknown;
      get(id: unknown): import("zastro-websockets-cloudflare/room").RoomStub;
    };
  };
}
