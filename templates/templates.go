// Package templates holds the WebSocket runtime that zastro adds to each
// adapter: TypeScript sources embedded in the binary, the public type
// declarations shipped with the generated package, and the npm dependencies
// that runtime needs.
//
//	files, err := templates.Files("node")   // "zastro/node/upgrade.ts" -> source
//	types, err := templates.Types("node")   // "zastro/node/env.d.ts" -> declarations
//	deps := templates.Dependencies("node")  // {"ws": "^8.18.0"}
//	peers := templates.OptionalPeers("node") // {"ioredis": "^5.4.0 || ^6.0.0"}
//	exports := templates.Exports("node")    // "./stats" -> dist/zastro/node/stats.{js,d.ts}
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

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

//go:embed shared/*.ts node/*.ts cloudflare/*.ts
var sources embed.FS

// OutputDir is the folder, relative to the package's source root, that holds
// the runtime and its types.
const OutputDir = "zastro"

// adapterDirs lists, per adapter, the template folders it ships.
var adapterDirs = map[string][]string{
	"node": {"shared", "node"},
	// Cloudflare ships the Node runtime too: `astro dev` of the adapter
	// generations that run the app in Node serves WebSockets with it.
	"cloudflare": {"shared", "node", "cloudflare"},
}

// dependencies lists, per adapter, what the generated package.json must add
// to "dependencies" for the runtime.
var dependencies = map[string]map[string]string{
	// ws: the server side of the WebSocket protocol. 8.18 is the first 8.x
	// with the handleUpgrade and 'headers' behaviour the runtime is tested
	// against; it stays an external dependency (never bundled).
	"node": {"ws": "^8.18.0"},
	// Only `astro dev` (Node) loads ws; the worker never imports it.
	"cloudflare": {"ws": "^8.18.0"},
}

// optionalPeers lists, per adapter, the packages the runtime loads only when
// an option asks for them: the generated package.json declares them as
// optional peer dependencies (peerDependenciesMeta), so npm installs them
// only when the application does.
var optionalPeers = map[string]map[string]string{
	// ioredis: the connection manager's cluster backend (node/cluster.ts),
	// imported dynamically when getConnectionManager({ cluster }) is used.
	"node": {"ioredis": "^5.4.0 || ^6.0.0"},
}

// OptionalPeers returns the optional peer dependencies (name to semver
// range) of an adapter's runtime.
func OptionalPeers(adapter string) map[string]string {
	peers := make(map[string]string, len(optionalPeers[adapter]))
	for name, version := range optionalPeers[adapter] {
		peers[name] = version
	}
	return peers
}

// optionalDependencies lists, per adapter, what the generated package.json
// adds to "optionalDependencies": the native helpers that ws loads when they
// are installed (ws's own advice: `npm install --save-optional`). bufferutil
// masks and unmasks frames on Node before 26.12; utf-8-validate checks text
// on Node without buffer.isUtf8. Where they do not install, ws uses its own
// JavaScript.
var optionalDependencies = map[string]map[string]string{
	"node": {"bufferutil": "^4.0.9", "utf-8-validate": "^6.0.5"},
}

// subpaths lists, per adapter, the runtime modules that users import through
// package subpaths ("zastro-websockets-node/connection-manager"): each is a
// compiled file of the adapter's own folder with a declaration file beside it.
var subpaths = map[string][]string{
	"node": {"connection-manager", "stats"},
	// Rooms in Durable Objects: toRoom() for routes, WebSocketRoom for the object.
	"cloudflare": {"room"},
}

// Export is one subpath export that the generated package.json gains.
type Export struct {
	Path    string // "./connection-manager"
	Types   string // "./dist/zastro/node/connection-manager.d.ts"
	Default string // "./dist/zastro/node/connection-manager.js"
}

// Exports returns the subpath exports of an adapter's runtime, in a fixed
// order; none for an adapter without any.
func Exports(adapter string) []Export {
	var out []Export
	for _, name := range subpaths[adapter] {
		base := "./dist/" + path.Join(OutputDir, adapter, name)
		out = append(out, Export{Path: "./" + name, Types: base + ".d.ts", Default: base + ".js"})
	}
	return out
}

// Adapters returns the adapters that have a runtime, sorted.
func Adapters() []string {
	names := make([]string, 0, len(adapterDirs))
	for name := range adapterDirs {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Files returns the runtime sources (TypeScript, no declarations) of an
// adapter, keyed by their path under the package's source root.
func Files(adapter string) (map[string][]byte, error) {
	return collect(adapter, func(name string) bool { return !isDeclaration(name) })
}

// Types returns the public declaration files of an adapter, keyed by their
// path under the package's output root (next to the compiled runtime).
// "zastro/node/env.d.ts" augments App.Locals and declares WebSocketOptions;
// "zastro/node/upgrade-handler.d.ts" declares the middleware-mode
// upgradeHandler; both import "../shared/server-websocket.js".
func Types(adapter string) (map[string][]byte, error) {
	return collect(adapter, isDeclaration)
}

// Dependencies returns the npm dependencies (name to semver range) that the
// generated package.json must add for the runtime of an adapter.
func Dependencies(adapter string) map[string]string {
	deps := make(map[string]string, len(dependencies[adapter]))
	for name, version := range dependencies[adapter] {
		deps[name] = version
	}
	return deps
}

// OptionalDependencies returns the npm optional dependencies (name to semver
// range) that the generated package.json must add for the runtime of an
// adapter; none for an adapter without any.
func OptionalDependencies(adapter string) map[string]string {
	deps := make(map[string]string, len(optionalDependencies[adapter]))
	for name, version := range optionalDependencies[adapter] {
		deps[name] = version
	}
	return deps
}

func collect(adapter string, keep func(name string) bool) (map[string][]byte, error) {
	dirs, ok := adapterDirs[adapter]
	if !ok {
		return nil, fmt.Errorf("templates: no WebSocket runtime for adapter %q (have %s)", adapter, strings.Join(Adapters(), ", "))
	}
	files := make(map[string][]byte)
	for _, dir := range dirs {
		entries, err := fs.ReadDir(sources, dir)
		if err != nil {
			return nil, fmt.Errorf("templates: %s: %w", dir, err)
		}
		for _, entry := range entries {
			name := path.Join(dir, entry.Name())
			if entry.IsDir() || !keep(name) {
				continue
			}
			data, err := sources.ReadFile(name)
			if err != nil {
				return nil, fmt.Errorf("templates: %s: %w", name, err)
			}
			files[path.Join(OutputDir, name)] = data
		}
	}
	return files, nil
}

func isDeclaration(name string) bool {
	return strings.HasSuffix(name, ".d.ts")
}
