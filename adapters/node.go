package adapters

// NodeModuleEntry is the first @astrojs/node version whose server entry
// exports handler at module level; before it, createExports() returns the
// exports and getAdapter lists them. The 10.0.0 pre-releases up to beta.4
// still have the 9.x shape.
var NodeModuleEntry = Cutoff{
	Name:    "module-entry",
	Version: "10.0.0-beta.5",
	Doc:     "the server entry exports handler at module level (before: createExports() and the adapter's exports list)",
}

const nodeGenerated = "zastro-websockets-node"

// Node is @astrojs/node.
var Node = Adapter{
	Name:      "node",
	Package:   "@astrojs/node",
	Generated: nodeGenerated,
	Dirs:      []string{"packages/integrations/node", "packages/node"},
	Supported: ">=8.0.0",
	Newest:    "11.1.6",
	Cutoffs:   []Cutoff{NodeModuleEntry},
	Runtime: Runtime{
		Dirs: []string{"shared", "node"},
		// ws: the server side of the WebSocket protocol. 8.18 is the first
		// 8.x with the handleUpgrade and 'headers' behaviour the runtime is
		// tested against; it stays an external dependency (never bundled).
		Dependencies: map[string]string{"ws": "^8.18.0"},
		// ioredis: the connection manager's cluster backend (node/cluster.ts),
		// imported dynamically when getConnectionManager({ cluster }) is used.
		OptionalPeers:        map[string]string{"ioredis": "^5.4.0 || ^6.0.0"},
		OptionalDependencies: map[string]string{"bufferutil": "^4.0.9", "utf-8-validate": "^6.0.5"},
		Subpaths:             []string{"connection-manager", "stats"},
		TypeRefs:             []string{"env.d.ts", "user-options.d.ts"},
	},
	Contract: func(string) (Contract, error) {
		return Contract{
			Name:       nodeGenerated,
			Server:     nodeGenerated + "/server.js",
			Preview:    nodeGenerated + "/preview.js",
			Options:    `{ mode: "standalone" }`,
			ServerFile: "dist/server.js",
			Exports:    []string{"handler", "upgradeHandler"},
			DevUpgrade: true,
		}, nil
	},
	Compat: []Column{
		{Mode: "standalone", Heading: "standalone"},
		{Mode: "middleware", Heading: "middleware (node:http)"},
		{Mode: "express", Heading: "middleware (Express)"},
		{Mode: "preview", Heading: "`astro preview`"},
		{Mode: "dev", Heading: "`astro dev`"},
		{Mode: "types", Heading: "types"},
	},
}
