// What `wrangler types` would generate for this project's bindings.
declare module "cloudflare:workers" {
  export const env: { ZASTRO_GREETING: string };
}
