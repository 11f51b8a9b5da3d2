package transform

import (
	"fmt"
	"path"
	"strings"

	sitter "github.com/smacker/go-tree-sitter"
	"github.com/zastro-dev/zastro/adapters"
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
const (
	cloudflareRuntime    = "zastro/cloudflare/index.js"
	cloudflareDevRuntime = "zastro/cloudflare/dev.js"
	// cloudflareWorkerdDevRuntime relays upgrades of `astro dev` to the worker
	// in workerd (13.x on); Node-side too.
	cloudflareWorkerdDevRuntime = "zastro/cloudflare/dev-workerd.js"
)

// CloudflareWebSocketSteps are the WebSocket steps of the cloudflare recipe, in order.
var CloudflareWebSocketSteps = []Step{
	CloudflareLocalsRender,
	CloudflareUpgradeResponse,
	CloudflareDevServerHook,
	CloudflareWorkerdDevHook,
}

// CloudflareLocalsRender is the step "cloudflare/locals-render".
var CloudflareLocalsRender = Step{
	Name:  "cloudflare/locals-render",
	Doc:   "give the locals the request handler renders with isUpgradeRequest and upgradeWebSocket(), right before app.render",
	Files: cloudflareHandlerFiles,
	Want:  Exactly(1),
	Locate: Nodes(func(t *Tree) []*sitter.Node {
		return Each(cloudflareRequestHandlers(t), func(fn *sitter.Node) []*sitter.Node {
			return CallsTo(t, fn.ChildByFieldName("body"), "app.render")
		})
	}),
	Edit: func(t *Tree, m Match) ([]Edit, error) {
		call := m.Node
		request, locals, err := renderArguments(t, call)
		if err != nil {
			return nil, err
		}
		stmt := enclosingStatement(call)
		if stmt == nil {
			return nil, fmt.Errorf("app.render is not called in a statement: %s", t.Text(call))
		}
		return []Edit{
			AddImport(t, fmt.Sprintf(`import { prepareLocals as __zastroPrepareLocals, finishResponse as __zastroFinishResponse } from %q;`, runtimeSpecifier(t.Path, cloudflareRuntime))),
			InsertBefore(stmt, fmt.Sprintf("__zastroPrepareLocals(%s, %s);\n%s", request, locals, indentOf(t, stmt))),
		}, nil
	},
}

// CloudflareUpgradeResponse is the step "cloudflare/upgrade-response".
var CloudflareUpgradeResponse = Step{
	Name:  "cloudflare/upgrade-response",
	Doc:   "pass the request handler's final Response through finishResponse, which answers an accepted upgrade with 101 and the WebSocketPair",
	Files: cloudflareHandlerFiles,
	Want:  Exactly(1),
	Locate: func(t *Tree) []Match {
		var out []Match
		for _, fn := range cloudflareRequestHandlers(t) {
			renders := CallsTo(t, fn.ChildByFieldName("body"), "app.render")
			if len(renders) != 1 {
				continue
			}
			var rets []*sitter.Node
			for _, ret := range ownReturns(fn) {
				if ret.StartByte() > renders[0].EndByte() {
					rets = append(rets, ret)
				}
			}
			for _, ret := range found(t, rets) {
				out = append(out, Match{Node: ret, Captures: map[string]*sitter.Node{"handler": fn, "render": renders[0]}})
			}
		}
		return out
	},
	Edit: func(t *Tree, m Match) ([]Edit, error) {
		value := firstNamedChild(m.Node)
		if value == nil {
			return nil, fmt.Errorf("the handler's last return has no value")
		}
		request, _, err := renderArguments(t, m.Capture("render"))
		if err != nil {
			return nil, err
		}
		return []Edit{
			InsertBefore(value, "__zastroFinishResponse("+request+", "),
			InsertAfter(value, ")"),
		}, nil
	},
}

// CloudflareDevServerHook is the step "cloudflare/dev-server-hook".
var CloudflareDevServerHook = Step{
	Name:     "cloudflare/dev-server-hook",
	Doc:      "wrap upstream's astro:server:setup hook so that `astro dev` (Node, platform proxy) serves WebSocket routes",
	Files:    cloudflareIndex,
	Versions: adapters.CloudflareWorkerdDev.Before(),
	Want:     Exactly(1),
	Locate: Nodes(func(t *Tree) []*sitter.Node {
		var out []*sitter.Node
		for _, hooks := range hookObjects(t, returnedBy(t, "createIntegration")) {
			for _, h := range PropertyNamed(t, hooks, "astro:server:setup") {
				if h.Type() != "pair" {
					continue
				}
				if v := Unwrap(PropertyValue(h)); v != nil && isFunction(v) {
					out = append(out, PropertyValue(h))
				}
			}
		}
		return found(t, out)
	}),
	Edit: func(t *Tree, m Match) ([]Edit, error) {
		hook := m.Node
		return []Edit{
			AddImport(t, fmt.Sprintf(`import { withDevServer as __zastroWithDevServer } from %q;`, runtimeSpecifier(t.Path, cloudflareDevRuntime))),
			InsertBefore(hook, "__zastroWithDevServer("),
			InsertAfter(hook, ")"),
		}, nil
	},
}

// CloudflareWorkerdDevHook is the step "cloudflare/workerd-dev-hook".
var CloudflareWorkerdDevHook = Step{
	Name:     "cloudflare/workerd-dev-hook",
	Doc:      "add an astro:server:setup hook that relays WebSocket upgrades in `astro dev` (workerd through @cloudflare/vite-plugin), so that the route's subprotocol and rejections reach the client",
	Files:    cloudflareIndex,
	Versions: adapters.CloudflareWorkerdDev.From(),
	Want:     Exactly(1),
	Locate: Nodes(func(t *Tree) []*sitter.Node {
		return hookObjects(t, returnedBy(t, "createIntegration"))
	}),
	Edit: func(t *Tree, m Match) ([]Edit, error) {
		hooks := m.Node
		if len(PropertyNamed(t, hooks, "astro:server:setup")) > 0 {
			return nil, fmt.Errorf("upstream now has its own astro:server:setup hook: the recipe must chain it")
		}
		return []Edit{
			AddImport(t, fmt.Sprintf(`import { setupWorkerdDevServer as __zastroSetupWorkerdDevServer } from %q;`, runtimeSpecifier(t.Path, cloudflareWorkerdDevRuntime))),
			InsertAfter(hooks.Child(0), "\n\t\t\"astro:server:setup\": ({ server }) => __zastroSetupWorkerdDevServer(server),"),
		}, nil
	},
}

// cloudflareRequestHandlers returns the adapter's request handler: the
// function handle (utils/handler) or the fetch function inside createExports
// (entrypoints/server of the older generations).
func cloudflareRequestHandlers(t *Tree) []*sitter.Node {
	out := FunctionNamed(t, "handle")
	for _, outer := range FunctionNamed(t, "createExports") {
		for _, fn := range FunctionNamed(t, "fetch") {
			if fn.StartByte() >= outer.StartByte() && fn.EndByte() <= outer.EndByte() {
				out = append(out, fn)
			}
		}
	}
	return found(t, out)
}

// renderArguments returns the source text of the request and the locals that
// `app.render(request, { locals, ... })` is given; both must be identifiers.
func renderArguments(t *Tree, call *sitter.Node) (request, locals string, err error) {
	args := Arguments(call)
	if len(args) < 2 {
		return "", "", fmt.Errorf("app.render is called with %d arguments, want (request, { locals, ... }): %s", len(args), t.Text(call))
	}
	req := Unwrap(args[0])
	if req == nil || req.Type() != "identifier" {
		return "", "", fmt.Errorf("app.render's first argument is not the request variable: %s", t.Text(args[0]))
	}
	opts := Unwrap(args[1])
	if opts == nil || opts.Type() != "object" {
		return "", "", fmt.Errorf("app.render's second argument is not an object literal: %s", t.Text(args[1]))
	}
	props := PropertyNamed(t, opts, "locals")
	if len(props) != 1 {
		return "", "", fmt.Errorf("app.render's options have %d locals properties, want 1", len(props))
	}
	v := Unwrap(PropertyValue(props[0]))
	if v == nil || (v.Type() != "identifier" && v.Type() != "shorthand_property_identifier") {
		return "", "", fmt.Errorf("app.render's locals is not a variable: %s", t.Text(props[0]))
	}
	return t.Text(req), t.Text(v), nil
}

// ownReturns returns the return statements of fn itself, not of functions
// nested in it.
func ownReturns(fn *sitter.Node) []*sitter.Node {
	body := fn.ChildByFieldName("body")
	if body == nil || body.Type() != "statement_block" {
		return nil
	}
	var out []*sitter.Node
	Walk(body, func(n *sitter.Node) bool {
		if n != body && (isFunction(n) || n.Type() == "class_body") {
			return false
		}
		if n.Type() == "return_statement" {
			out = append(out, n)
			return false
		}
		return true
	})
	return out
}

// enclosingStatement returns the statement that holds n, directly inside a
// block or the program.
func enclosingStatement(n *sitter.Node) *sitter.Node {
	for p := n; p != nil; p = p.Parent() {
		parent := p.Parent()
		if parent == nil {
			return nil
		}
		if parent.Type() == "statement_block" || parent.Type() == "program" {
			return p
		}
		if isFunction(parent) {
			return nil // an arrow function's expression body
		}
	}
	return nil
}

// indentOf returns the whitespace that starts n's line.
func indentOf(t *Tree, n *sitter.Node) string {
	start := int(n.StartByte())
	line := strings.LastIndexByte(string(t.Src[:start]), '\n') + 1
	lead := t.Src[line:start]
	for i, c := range lead {
		if c != ' ' && c != '\t' {
			return string(lead[:i])
		}
	}
	return string(lead)
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
