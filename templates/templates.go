package templates

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/zastro-dev/zastro/adapters"
)

//go:embed shared/*.ts node/*.ts cloudflare/*.ts
var sources embed.FS

// OutputDir is the folder, relative to the package's source root, that holds
// the runtime and its types.
const OutputDir = adapters.RuntimeDir

// The folders, dependencies, optional peers and subpath exports of each
// adapter's runtime are in its descriptor (adapters.<Adapter>.Runtime).

// runtime returns the runtime of an adapter that has one.
func runtime(adapter string) (adapters.Runtime, bool) {
	d, err := adapters.Lookup(adapter)
	if err != nil || len(d.Runtime.Dirs) == 0 {
		return adapters.Runtime{}, false
	}
	return d.Runtime, true
}

// OptionalPeers returns the optional peer dependencies (name to semver
// range) of an adapter's runtime: the generated package.json declares them
// as optional peer dependencies (peerDependenciesMeta), so npm installs them
// only when the application does.
func OptionalPeers(adapter string) map[string]string {
	rt, _ := runtime(adapter)
	peers := make(map[string]string, len(rt.OptionalPeers))
	for name, version := range rt.OptionalPeers {
		peers[name] = version
	}
	return peers
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
	rt, _ := runtime(adapter)
	for _, name := range rt.Subpaths {
		base := "./dist/" + path.Join(OutputDir, adapter, name)
		out = append(out, Export{Path: "./" + name, Types: base + ".d.ts", Default: base + ".js"})
	}
	return out
}

// Adapters returns the adapters that have a runtime, sorted.
func Adapters() []string {
	var names []string
	for _, d := range adapters.All() {
		if len(d.Runtime.Dirs) > 0 {
			names = append(names, d.Name)
		}
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
	rt, _ := runtime(adapter)
	deps := make(map[string]string, len(rt.Dependencies))
	for name, version := range rt.Dependencies {
		deps[name] = version
	}
	return deps
}

// OptionalDependencies returns the npm optional dependencies (name to semver
// range) that the generated package.json must add for the runtime of an
// adapter; none for an adapter without any.
func OptionalDependencies(adapter string) map[string]string {
	rt, _ := runtime(adapter)
	deps := make(map[string]string, len(rt.OptionalDependencies))
	for name, version := range rt.OptionalDependencies {
		deps[name] = version
	}
	return deps
}

func collect(adapter string, keep func(name string) bool) (map[string][]byte, error) {
	rt, ok := runtime(adapter)
	dirs := rt.Dirs
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
