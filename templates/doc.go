// Package templates holds the embedded WebSocket runtime: the TypeScript that
// zastro adds to each generated package, embedded in the binary with
// go:embed, and the public type declarations shipped beside it. Nothing here
// is compiled at build time of zastro itself; the assemble stage compiles
// these sources with esbuild into each package's dist/zastro/.
//
//	files, err := templates.Files("node")   // "zastro/node/upgrade.ts" -> source
//	types, err := templates.Types("node")   // "zastro/node/env.d.ts" -> declarations
//	deps := templates.Dependencies("node")  // {"ws": "^8.18.0"}
//	peers := templates.OptionalPeers("node") // {"ioredis": "^5.4.0 || ^6.0.0"}
//	exports := templates.Exports("node")    // "./stats" -> dist/zastro/node/stats.{js,d.ts}
//
// Which folders, npm dependencies, optional peers and subpath exports an
// adapter's package gets is in the adapter's descriptor (package adapters,
// Runtime); this package serves the files.
//
// Paths are relative to the generated package's source root: compiled per
// file, "zastro/node/upgrade.ts" becomes dist/zastro/node/upgrade.js. Imports
// between runtime files are relative and end in ".js", so they resolve after
// that per-file compilation; the patched adapter imports the runtime through
// "./zastro/node/index.js" (see node/index.ts for what it exports).
//
// Layout: shared/ is platform-neutral (the browser-compatible socket, reused
// by every adapter); node/ is the Node side (ws); cloudflare/ is the workerd
// side (WebSocketPair) plus the `astro dev` hook that reuses node/. Files
// ending in ".d.ts" are public types, everything else is runtime.
package templates
