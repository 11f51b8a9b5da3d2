package adapters

// The generations of @astrojs/cloudflare, by their first version.
var (
	// CloudflareServerEntry is the first version whose server entry is
	// entrypoints/server.js; 10.0.0 to 10.0.2 name entrypoints/server.advanced.js.
	CloudflareServerEntry = Cutoff{
		Name:    "server-entry",
		Version: "10.0.3",
		Doc:     "the server entry is entrypoints/server.js (before: entrypoints/server.advanced.js)",
	}
	// CloudflareHandlerModule is the first version whose request handler is
	// handle(manifest, app, request, env, context) in utils/handler.js; before
	// it, `const fetch = async (request, env, context) => {...}` inside
	// createExports in the server entry. The recipe finds the handler by the
	// files that exist, so no step names this cutoff.
	CloudflareHandlerModule = Cutoff{
		Name:    "handler-module",
		Version: "12.6.0",
		Doc:     "the request handler is handle() in utils/handler.js (before: fetch inside createExports)",
	}
	// CloudflareWorkerdDev is the first version whose dev server runs the app
	// in workerd (@cloudflare/vite-plugin) instead of Node beside a platform
	// proxy; Astro resolves the server entry itself, the adapter names a
	// preview entrypoint and injects a types reference.
	CloudflareWorkerdDev = Cutoff{
		Name:    "workerd-dev",
		Version: "13.0.0-0",
		Doc:     "`astro dev` runs the worker in workerd; a preview entrypoint and an injected types reference",
	}
	// CloudflareNoServerEntrypoint is the first version whose adapter no
	// longer names a serverEntrypoint: the first 13.0.0 pre-releases still do.
	CloudflareNoServerEntrypoint = Cutoff{
		Name:    "no-server-entrypoint",
		Version: "13.0.0-beta.5",
		Doc:     "the adapter names no serverEntrypoint (Astro resolves it)",
	}
)

const cloudflareGenerated = "zastro-websockets-cloudflare"

// Cloudflare is @astrojs/cloudflare.
var Cloudflare = Adapter{
	Name:      "cloudflare",
	Package:   "@astrojs/cloudflare",
	Generated: cloudflareGenerated,
	Dirs:      []string{"packages/integrations/cloudflare", "packages/cloudflare"},
	// Measured by `zastro sweep cloudflare` (sweep/results/cloudflare.md):
	// every published version from 10.0.0 on, pre-releases included. Older
	// generations (Astro 3 and before) are not targets.
	Supported: ">=10.0.0",
	Newest:    "14.3.3",
	Cutoffs:   []Cutoff{CloudflareServerEntry, CloudflareHandlerModule, CloudflareWorkerdDev, CloudflareNoServerEntrypoint},
	Runtime: Runtime{
		// Cloudflare ships the Node runtime too: `astro dev` of the adapter
		// generations that run the app in Node serves WebSockets with it.
		Dirs: []string{"shared", "node", "cloudflare"},
		// Only `astro dev` (Node) loads ws; the worker never imports it.
		Dependencies: map[string]string{"ws": "^8.18.0"},
		// Rooms in Durable Objects: toRoom() for routes, WebSocketRoom for the object.
		Subpaths: []string{"room"},
		TypeRefs: []string{"env.d.ts"},
	},
	Contract: cloudflareContract,
	Worker:   true,
	Compat: []Column{
		{Mode: "build", Heading: "build → `wrangler dev`"},
		{Mode: "dev", Heading: "`astro dev`", Runtime: true},
		{Mode: "types", Heading: "types"},
	},
}

// cloudflareContract: up to 12.x the adapter names its server entrypoint and
// `astro dev` runs the app in Node, where zastro's dev hook serves
// WebSockets; from 13.x Astro resolves the entrypoint itself, the adapter
// names a preview entrypoint, and @cloudflare/vite-plugin runs the worker in
// `astro dev`.
func cloudflareContract(version string) (Contract, error) {
	want := Contract{
		Name:          cloudflareGenerated,
		Options:       `{}`,
		ServerFile:    "dist/entrypoints/server.js",
		Exports:       []string{"default"},
		WorkerRuntime: "dist/" + RuntimeDir + "/cloudflare/index.js",
		// Every generation listens for upgrades in `astro dev`: up to 12.x to
		// serve them in Node, from 13.x to relay them to the worker.
		DevUpgrade: true,
	}
	at := func(c Cutoff) (bool, error) {
		if version == "" {
			return true, nil
		}
		return c.Includes(version)
	}
	workerd, err := at(CloudflareWorkerdDev)
	if err != nil {
		return Contract{}, err
	}
	if !workerd {
		want.Server = cloudflareGenerated + "/entrypoints/server.js"
		if ok, err := at(CloudflareServerEntry); err != nil {
			return Contract{}, err
		} else if !ok {
			want.Server = cloudflareGenerated + "/entrypoints/server.advanced.js"
			want.ServerFile = "dist/entrypoints/server.advanced.js"
		}
		return want, nil
	}
	if ok, err := at(CloudflareNoServerEntrypoint); err != nil {
		return Contract{}, err
	} else if !ok {
		want.Server = cloudflareGenerated + "/entrypoints/server.js"
	}
	want.Preview = cloudflareGenerated + "/entrypoints/preview"
	return want, nil
}
