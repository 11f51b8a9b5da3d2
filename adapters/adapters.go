// Package adapters holds one descriptor per supported upstream adapter: every
// fact about an adapter that more than one stage needs. The upstream loader,
// the recipes (transform), the runtime (templates), the assembler, the
// contract check (verify), the sweep, the CLI and the compatibility tables
// read these values instead of writing the facts again.
//
// Adding an adapter means adding one descriptor here (a file beside node.go
// and cloudflare.go, listed in All) and one recipe in transform.
package adapters

import (
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// Adapter describes one upstream adapter and the package zastro makes of it.
type Adapter struct {
	// Name is the short name used on the command line and in folder names:
	// "node".
	Name string
	// Package is the upstream npm package: "@astrojs/node".
	Package string
	// Generated is the npm name of the generated package:
	// "zastro-websockets-node".
	Generated string
	// Dirs are the adapter's folders in the upstream git repositories, tried
	// in order: the withastro/astro monorepo layout first
	// ("packages/integrations/<name>"), then the older withastro/adapters
	// layout ("packages/<name>").
	Dirs []string
	// Supported is the range of upstream versions the recipe is declared to
	// support (Masterminds/semver): the measured one, which the last sweep
	// (sweep/results/<name>.json) saw build and verify.
	Supported string
	// Newest is the upstream version built from npm when no version is
	// given: the newest one the recipe is known to support.
	Newest string
	// Cutoffs are the versions where upstream changed shape, oldest first.
	// Recipes, the assembler and the contract choose by these values only.
	Cutoffs []Cutoff
	// Runtime is the embedded WebSocket runtime the package ships.
	Runtime Runtime
	// Contract returns what the generated package must do, for an upstream
	// version ("" is the newest generation).
	Contract func(version string) (Contract, error)
	// Worker is set when the package runs in Cloudflare Workers (workerd,
	// through wrangler): the compatibility table shows wrangler's version.
	Worker bool
	// Compat lists the columns of the compatibility table (README): the e2e
	// modes and their headings, in order.
	Compat []Column
}

// RuntimeDir is the folder, under a generated package's source root (dist/,
// src/), that holds the WebSocket runtime: one subfolder per template folder
// ("zastro/node/index.js").
const RuntimeDir = "zastro"

// RuntimeModule is the path of a file of the adapter's own runtime folder,
// relative to the package's source root: "zastro/node/index.js".
func (a Adapter) RuntimeModule(file string) string {
	return RuntimeDir + "/" + a.Name + "/" + file
}

// Cutoff is the first upstream version of a generation: the versions from it
// on (pre-releases included, in semver order) have the new shape.
type Cutoff struct {
	Name    string // what changes: "module-entry"
	Version string // first version with the change: "10.0.0-beta.5"
	Doc     string // one line on what the generations before and after differ in
}

// From is the semver range of the versions from the cutoff on.
func (c Cutoff) From() string { return ">=" + c.Version }

// Before is the semver range of the versions before the cutoff.
func (c Cutoff) Before() string { return "<" + c.Version }

// Includes reports whether version is at or after the cutoff.
func (c Cutoff) Includes(version string) (bool, error) {
	v, err := semver.NewVersion(version)
	if err != nil {
		return false, fmt.Errorf("version %q: %v", version, err)
	}
	return !v.LessThan(semver.MustParse(c.Version)), nil
}

// Runtime is the WebSocket runtime an adapter's package ships
// (templates/<dir>/*.ts, compiled into dist/zastro/<dir>/).
type Runtime struct {
	// Dirs are the template folders the package ships.
	Dirs []string
	// Dependencies are the npm dependencies (name to range) the generated
	// package.json adds for the runtime.
	Dependencies map[string]string
	// OptionalPeers are packages the runtime loads only when a feature that
	// needs them is used: optional peer dependencies of the package.
	OptionalPeers map[string]string
	// OptionalDependencies are added to the package's "optionalDependencies":
	// native helpers that a dependency loads when they install (ws's
	// bufferutil and utf-8-validate, as ws advises); without them it falls
	// back to its own JavaScript.
	OptionalDependencies map[string]string
	// Subpaths are runtime modules users import through package subpaths
	// ("<generated>/connection-manager"): compiled files of the adapter's own
	// folder with a declaration file beside each.
	Subpaths []string
	// TypeRefs are the declaration files of the adapter's own runtime folder
	// that the package's dist/index.d.ts references (the recipe's
	// "<name>/types-runtime-reference" step), so that importing the adapter
	// brings App.Locals' new members and the `websocket` option.
	TypeRefs []string
}

// Contract is what a generated package must do, checked by verify.
type Contract struct {
	Name       string   // integration and adapter name
	Server     string   // serverEntrypoint
	Preview    string   // previewEntrypoint ("" = not checked)
	Options    string   // JS expression of the options passed to the integration
	ServerFile string   // the server entry's file in the package
	Exports    []string // names the server entry must export (directly, or through the adapter's exports list)
	DevUpgrade bool     // astro:server:setup must listen for "upgrade" on the dev server
	// WorkerRuntime, when set, is the runtime module that the server entry's
	// bundle must include; the bundle must then include nothing of the Node
	// runtime (dist/zastro/node/), which cannot run in a worker.
	WorkerRuntime string
}

// Column is one column of the compatibility table.
type Column struct {
	Mode    string // the e2e mode: "standalone"
	Heading string // "middleware (node:http)"
	// Runtime, when set, appends the runtime the mode ran on to its cells.
	Runtime bool
}

// All returns the descriptors, in the order they are listed in messages.
func All() []Adapter { return []Adapter{Node, Cloudflare} }

// Names returns the short names of the adapters ("node", "cloudflare").
func Names() []string {
	var names []string
	for _, a := range All() {
		names = append(names, a.Name)
	}
	return names
}

// Lookup returns the descriptor of an adapter by short name ("node") or
// upstream package name ("@astrojs/node"). An unknown name gives an error
// listing the known names.
func Lookup(name string) (Adapter, error) {
	for _, a := range All() {
		if name == a.Name || name == a.Package {
			return a, nil
		}
	}
	return Adapter{}, fmt.Errorf("unknown adapter %q: known adapters are %s", name, strings.Join(Names(), ", "))
}

// Cutoff returns the adapter's cutoff of that name; it panics on an unknown
// name (a programming error).
func (a Adapter) Cutoff(name string) Cutoff {
	for _, c := range a.Cutoffs {
		if c.Name == name {
			return c
		}
	}
	panic(fmt.Sprintf("adapters: %s has no cutoff %q", a.Name, name))
}
