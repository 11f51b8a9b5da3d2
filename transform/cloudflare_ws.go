package transform

import (
	"fmt"
	"path"
	"strings"

	sitter "github.com/smacker/go-tree-sitter"
	"github.com/zastro-dev/zastro/adapters"
	"github.com/zastro-dev/zastro/transform/engine"
)

// The WebSocket steps of the cloudflare recipe. They wire upstream's own
// request handler to the runtime in dist/zastro/cloudflare/ (see
// templates/cloudflare): the locals Astro renders a request with get
// isUpgradeRequest and upgradeWebSocket(), and the handler's final Response
// goes through finishResponse, which turns an accepted upgrade into the 101
// carrying a WebSocketPair. Everything else the handler does (static assets,
// sessions, prerendering, image endpoints, cookies, bindings) is left as
// upstream ships it.
//
// The request handler, by generation:
//   - up to 12.5: `const fetch = async (request, env, context) => {...}` inside
//     createExports, in entrypoints/server.js (server.advanced.js in 10.0);
//   - 12.6 to 12.x: `handle(manifest, app, request, env, context)` in
//     utils/handler.js, which server.js and custom worker entries call;
//   - 13.x on: `handle(request, env, context)` in utils/handler.js, the
//     default export's fetch and the `/handler` export.
//
// `astro dev`: up to 12.x the dev server renders in Node beside wrangler's
// platform proxy, so upstream's astro:server:setup hook is wrapped to add the
// Node runtime's WebSocket server; from 13.x @cloudflare/vite-plugin runs the
// worker itself in workerd and forwards upgrade requests to it, so the
// handler's own path serves them, and an added astro:server:setup hook
// relays each upgrade so that the client gets the worker's own answer (see
// templates/cloudflare/dev-workerd.ts).

// The dev-server generations are told apart by adapters.CloudflareWorkerdDev:
// from it on the dev server runs the app in workerd (@cloudflare/vite-plugin)
// instead of Node with a platform proxy.

// cloudflareHandlerFiles are the files that hold the request handler, newest
// layout first: the first one that exists is used.
var cloudflareHandlerFiles = []string{
	"src/utils/handler.ts", "dist/utils/handler.js",
	"src/entrypoints/server.ts", "dist/entrypoints/server.js",
	"src/entrypoints/server.advanced.ts", "dist/entrypoints/server.advanced.js",
}

// cloudflareRuntime is the worker-side runtime module and cloudflareDevRuntime
// the Node-side one, relative to the package's source root (dist/ or src/).
var (
	cloudflareRuntime    = adapters.Cloudflare.RuntimeModule("index.js")
	cloudflareDevRuntime = adapters.Cloudflare.RuntimeModule("dev.js")
	// cloudflareWorkerdDevRuntime relays upgrades of `astro dev` to the worker
	// in workerd (13.x on); Node-side too.
	cloudflareWorkerdDevRuntime = adapters.Cloudflare.RuntimeModule("dev-workerd.js")
)

// CloudflareWebSocketSteps are the WebSocket steps of the cloudflare recipe, in order.
var CloudflareWebSocketSteps = []engine.Step{
	CloudflareLocalsRender,
	CloudflareUpgradeResponse,
	CloudflareDevServerHook,
	CloudflareWorkerdDevHook,
}

// CloudflareLocalsRender is the step "cloudflare/locals-render".
var CloudflareLocalsRender = engine.Step{
	Name:  "cloudflare/locals-render",
	Doc:   "give the locals the request handler renders with isUpgradeRequest and upgradeWebSocket(), right before app.render",
	Files: cloudflareHandlerFiles,
	Want:  engine.Exactly(1),
	Locate: engine.Nodes(func(t *engine.Tree) []*sitter.Node {
		return engine.Each(cloudflareRequestHandlers(t), func(fn *sitter.Node) []*sitter.Node {
			return engine.CallsTo(t, fn.ChildByFieldName("body"), "app.render")
		})
	}),
	Edit: func(t *engine.Tree, m engine.Match) ([]engine.Edit, error) {
		call := m.Node
		request, locals, err := renderArguments(t, call)
		if err != nil {
			return nil, err
		}
		stmt := engine.EnclosingStatement(call)
		if stmt == nil {
			return nil, fmt.Errorf("app.render is not called in a statement: %s", t.Text(call))
		}
		return []engine.Edit{
			engine.AddImport(t, fmt.Sprintf(`import { prepareLocals as __zastroPrepareLocals, finishResponse as __zastroFinishResponse } from %q;`, runtimeSpecifier(t.Path, cloudflareRuntime))),
			engine.InsertBefore(stmt, fmt.Sprintf("__zastroPrepareLocals(%s, %s);\n%s", request, locals, engine.IndentOf(t, stmt))),
		}, nil
	},
}

// CloudflareUpgradeResponse is the step "cloudflare/upgrade-response".
var CloudflareUpgradeResponse = engine.Step{
	Name:  "cloudflare/upgrade-response",
	Doc:   "pass the request handler's final Response through finishResponse, which answers an accepted upgrade with 101 and the WebSocketPair",
	Files: cloudflareHandlerFiles,
	Want:  engine.Exactly(1),
	Locate: func(t *engine.Tree) []engine.Match {
		var out []engine.Match
		for _, fn := range cloudflareRequestHandlers(t) {
			renders := engine.CallsTo(t, fn.ChildByFieldName("body"), "app.render")
			if len(renders) != 1 {
				continue
			}
			var rets []*sitter.Node
			for _, ret := range engine.OwnReturns(fn) {
				if ret.StartByte() > renders[0].EndByte() {
					rets = append(rets, ret)
				}
			}
			for _, ret := range engine.Found(t, rets) {
				out = append(out, engine.Match{Node: ret, Captures: map[string]*sitter.Node{"handler": fn, "render": renders[0]}})
			}
		}
		return out
	},
	Edit: func(t *engine.Tree, m engine.Match) ([]engine.Edit, error) {
		value := engine.FirstNamedChild(m.Node)
		if value == nil {
			return nil, fmt.Errorf("the handler's last return has no value")
		}
		request, _, err := renderArguments(t, m.Capture("render"))
		if err != nil {
			return nil, err
		}
		return []engine.Edit{
			engine.InsertBefore(value, "__zastroFinishResponse("+request+", "),
			engine.InsertAfter(value, ")"),
		}, nil
	},
}

// CloudflareDevServerHook is the step "cloudflare/dev-server-hook".
var CloudflareDevServerHook = engine.Step{
	Name:     "cloudflare/dev-server-hook",
	Doc:      "wrap upstream's astro:server:setup hook so that `astro dev` (Node, platform proxy) serves WebSocket routes",
	Files:    cloudflareIndex,
	Versions: adapters.CloudflareWorkerdDev.Before(),
	Want:     engine.Exactly(1),
	Locate: engine.Nodes(func(t *engine.Tree) []*sitter.Node {
		var out []*sitter.Node
		for _, hooks := range hookObjects(t, engine.ReturnedBy(t, "createIntegration")) {
			for _, h := range engine.PropertyNamed(t, hooks, "astro:server:setup") {
				if h.Type() != "pair" {
					continue
				}
				if v := engine.Unwrap(engine.PropertyValue(h)); v != nil && engine.IsFunction(v) {
					out = append(out, engine.PropertyValue(h))
				}
			}
		}
		return engine.Found(t, out)
	}),
	Edit: func(t *engine.Tree, m engine.Match) ([]engine.Edit, error) {
		hook := m.Node
		return []engine.Edit{
			engine.AddImport(t, fmt.Sprintf(`import { withDevServer as __zastroWithDevServer } from %q;`, runtimeSpecifier(t.Path, cloudflareDevRuntime))),
			engine.InsertBefore(hook, "__zastroWithDevServer("),
			engine.InsertAfter(hook, ")"),
		}, nil
	},
}

// CloudflareWorkerdDevHook is the step "cloudflare/workerd-dev-hook".
var CloudflareWorkerdDevHook = engine.Step{
	Name:     "cloudflare/workerd-dev-hook",
	Doc:      "add an astro:server:setup hook that relays WebSocket upgrades in `astro dev` (workerd through @cloudflare/vite-plugin), so that the route's subprotocol and rejections reach the client",
	Files:    cloudflareIndex,
	Versions: adapters.CloudflareWorkerdDev.From(),
	Want:     engine.Exactly(1),
	Locate: engine.Nodes(func(t *engine.Tree) []*sitter.Node {
		return hookObjects(t, engine.ReturnedBy(t, "createIntegration"))
	}),
	Edit: func(t *engine.Tree, m engine.Match) ([]engine.Edit, error) {
		hooks := m.Node
		if len(engine.PropertyNamed(t, hooks, "astro:server:setup")) > 0 {
			return nil, fmt.Errorf("upstream now has its own astro:server:setup hook: the recipe must chain it")
		}
		return []engine.Edit{
			engine.AddImport(t, fmt.Sprintf(`import { setupWorkerdDevServer as __zastroSetupWorkerdDevServer } from %q;`, runtimeSpecifier(t.Path, cloudflareWorkerdDevRuntime))),
			engine.InsertAfter(hooks.Child(0), "\n\t\t\"astro:server:setup\": ({ server }) => __zastroSetupWorkerdDevServer(server),"),
		}, nil
	},
}

// cloudflareRequestHandlers returns the adapter's request handler: the
// function handle (utils/handler) or the fetch function inside createExports
// (entrypoints/server of the older generations).
func cloudflareRequestHandlers(t *engine.Tree) []*sitter.Node {
	out := engine.FunctionNamed(t, "handle")
	for _, outer := range engine.FunctionNamed(t, "createExports") {
		for _, fn := range engine.FunctionNamed(t, "fetch") {
			if fn.StartByte() >= outer.StartByte() && fn.EndByte() <= outer.EndByte() {
				out = append(out, fn)
			}
		}
	}
	return engine.Found(t, out)
}

// renderArguments returns the source text of the request and the locals that
// `app.render(request, { locals, ... })` is given; both must be identifiers.
func renderArguments(t *engine.Tree, call *sitter.Node) (request, locals string, err error) {
	args := engine.Arguments(call)
	if len(args) < 2 {
		return "", "", fmt.Errorf("app.render is called with %d arguments, want (request, { locals, ... }): %s", len(args), t.Text(call))
	}
	req := engine.Unwrap(args[0])
	if req == nil || req.Type() != "identifier" {
		return "", "", fmt.Errorf("app.render's first argument is not the request variable: %s", t.Text(args[0]))
	}
	opts := engine.Unwrap(args[1])
	if opts == nil || opts.Type() != "object" {
		return "", "", fmt.Errorf("app.render's second argument is not an object literal: %s", t.Text(args[1]))
	}
	props := engine.PropertyNamed(t, opts, "locals")
	if len(props) != 1 {
		return "", "", fmt.Errorf("app.render's options have %d locals properties, want 1", len(props))
	}
	v := engine.Unwrap(engine.PropertyValue(props[0]))
	if v == nil || (v.Type() != "identifier" && v.Type() != "shorthand_property_identifier") {
		return "", "", fmt.Errorf("app.render's locals is not a variable: %s", t.Text(props[0]))
	}
	return t.Text(req), t.Text(v), nil
}

// runtimeSpecifier is the relative import of a runtime module (a path under
// the package's source root) from file: "dist/utils/handler.js" imports
// "zastro/cloudflare/index.js" as "../zastro/cloudflare/index.js". The
// TypeScript sources of a git checkout keep the same layout under src/.
func runtimeSpecifier(file, module string) string {
	dir := path.Dir(file)
	depth := 0
	if i := strings.IndexByte(dir, '/'); i >= 0 {
		depth = strings.Count(dir[i+1:], "/") + 1
	}
	if depth == 0 {
		return "./" + module
	}
	return strings.Repeat("../", depth) + module
}
