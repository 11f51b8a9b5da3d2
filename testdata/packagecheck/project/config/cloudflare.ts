// A user's astro.config.ts with zastro-websockets-cloudflare: importing the
// adapter is what brings its types (App.Locals) into the project.
import { defineConfig } from "astro/config"
import cloudflare from "zastro-websockets-cloudflare"

export default defineConfig({
  output: "server",
  adapter: cloudflare(),
})
