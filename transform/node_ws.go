package transform

import (
	"fmt"

	sitter "github.com/smacker/go-tree-sitter"
	"github.com/zastro-dev/zastro/adapters"
	"github.com/zastro-dev/zastro/transform/engine"
)

// The WebSocket steps of the node recipe. They wire upstream's own request
// path to the runtime in dist/zastro/node/ (see templates/node): every request
// gets the WebSocket members on its locals, the standalone and preview servers
// hand upgrade requests to upstream's normal handler, the server entry exports
// an upgrade handler for middleware mode, and `astro dev` gets a dev-server hook.

// The generations are told apart by adapters.NodeModuleEntry: from it on the
// server entry exports handler at module level; before it, createExports()
// returns the exports and getAdapter lists them.

// nodeRuntime is the runtime module, relative to the adapter's own files.
var nodeRuntime = "./" + adapters.Node.RuntimeModule("index.js")

func runtimeImport(names ...string) string {
	s := "import { "
	for i, n := range names {
		if i > 0 {
			s += ", "
		}
		s += n + " as __zastro" + upperFirst(n)
	}
	return s + ` } from "` + nodeRuntime + `";`
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// NodeWebSocketSteps are the WebSocket steps of the node recipe, in order.
var NodeWebSocketSteps = []engine.Step{
	NodeLocalsAppHandler,
	NodeStandaloneUpgrade,
	NodePreviewUpgrade,
	NodeServerUpgradeHandlerExports,
	NodeAdapterExportsUpgradeHandler,
	NodeServerUpgradeHandler,
	NodeDevServerHook,
}

// NodeLocalsAppHandler is the step "node/locals-app-handler".
var NodeLocalsAppHandler = engine.Step{
	Name:  "node/locals-app-handler",
	Doc:   "give every request's locals isUpgradeRequest and upgradeWebSocket(), first thing in the handler createAppHandler returns",
	Files: []string{"src/serve-app.ts", "dist/serve-app.js"},
	Want:  engine.Exactly(1),
	Locate: engine.Nodes(func(t *engine.Tree) []*sitter.Node {
		return engine.Each(engine.FunctionNamed(t, "createAppHandler"), func(fn *sitter.Node) []*sitter.Node {
			return engine.ReturnedFunctions(t, fn)
		})
	}),
	Edit: func(t *engine.Tree, m engine.Match) ([]engine.Edit, error) {
		fn := m.Node
		params := engine.ParamNames(t, fn)
		if len(params) < 4 || params[0] == "" || params[3] == "" {
			return nil, fmt.Errorf("the request handler's parameters are %v: want (req, res, next, locals)", params)
		}
		body := fn.ChildByFieldName("body")
		if body == nil || body.Type() != "statement_block" || body.ChildCount() == 0 {
			return nil, fmt.Errorf("the request handler has no block body")
		}
		open := body.Child(0) // "{"
		return []engine.Edit{
			engine.AddImport(t, runtimeImport("prepareLocals")),
			engine.InsertAfter(open, fmt.Sprintf("\n\t%s = __zastroPrepareLocals(%s, %s);", params[3], params[0], params[3])),
		}, nil
	},
}

// NodeStandaloneUpgrade is the step "node/standalone-upgrade".
var NodeStandaloneUpgrade = engine.Step{
	Name:   "node/standalone-upgrade",
	Doc:    "hand upgrade requests of the standalone server to the same handler as normal requests",
	Files:  []string{"src/standalone.ts", "dist/standalone.js"},
	Want:   engine.Exactly(1),
	Locate: serverDeclaration("standalone"),
	Edit: func(t *engine.Tree, m engine.Match) ([]engine.Edit, error) {
		params := engine.ParamNames(t, m.Capture("function"))
		if len(params) < 2 || params[1] == "" {
			return nil, fmt.Errorf("standalone's parameters are %v: want (app, options, ...)", params)
		}
		return attachAfter(t, m.Node, params[1])
	},
}

// NodePreviewUpgrade is the step "node/preview-upgrade".
var NodePreviewUpgrade = engine.Step{
	Name:   "node/preview-upgrade",
	Doc:    "hand upgrade requests of `astro preview` to the server entry's handler",
	Files:  []string{"src/preview.ts", "dist/preview.js"},
	Want:   engine.Exactly(1),
	Locate: serverDeclaration("createPreviewServer"),
	Edit: func(t *engine.Tree, m engine.Match) ([]engine.Edit, error) {
		// The preview server imports the server entry; importing it
		// again returns the same module, whose options carry the
		// user's `websocket` settings.
		fn := m.Capture("function")
		if fn == nil || fn.Child(0) == nil || fn.Child(0).Type() != "async" {
			return nil, fmt.Errorf("createPreviewServer is not an async function")
		}
		var imports []*sitter.Node
		for _, call := range engine.Descendants(t, fn, "call_expression") {
			if f := call.ChildByFieldName("function"); f != nil && f.Type() == "import" {
				imports = append(imports, call)
			}
		}
		if len(imports) != 1 || len(engine.Arguments(imports[0])) != 1 {
			return nil, fmt.Errorf("createPreviewServer should import the server entry once, found %d dynamic imports", len(imports))
		}
		entry := t.Text(engine.Arguments(imports[0])[0])
		return attachAfter(t, m.Node, "(await import("+entry+")).options")
	},
}

// NodeServerUpgradeHandlerExports is the step "node/server-upgrade-handler-exports".
var NodeServerUpgradeHandlerExports = engine.Step{
	Name:     "node/server-upgrade-handler-exports",
	Doc:      "createExports() also returns upgradeHandler, for middleware mode (server.on('upgrade', upgradeHandler))",
	Files:    []string{"src/server.ts", "dist/server.js"},
	Versions: adapters.NodeModuleEntry.Before(),
	Want:     engine.Exactly(1),
	Locate: func(t *engine.Tree) []engine.Match {
		var out []engine.Match
		for _, fn := range engine.FunctionNamed(t, "createExports") {
			for _, obj := range engine.ReturnedObjects(t, fn) {
				out = append(out, engine.Match{Node: obj, Captures: map[string]*sitter.Node{"function": fn}})
			}
		}
		return out
	},
	Edit: func(t *engine.Tree, m engine.Match) ([]engine.Edit, error) {
		obj := m.Node
		params := engine.ParamNames(t, m.Capture("function"))
		if len(params) < 2 || params[1] == "" {
			return nil, fmt.Errorf("createExports' parameters are %v: want (manifest, options)", params)
		}
		return []engine.Edit{
			engine.AddImport(t, runtimeImport("withUpgradeHandler")),
			engine.InsertBefore(obj, "__zastroWithUpgradeHandler("),
			engine.InsertAfter(obj, ", "+params[1]+")"),
		}, nil
	},
}

// NodeAdapterExportsUpgradeHandler is the step "node/adapter-exports-upgrade-handler".
var NodeAdapterExportsUpgradeHandler = engine.Step{
	Name:     "node/adapter-exports-upgrade-handler",
	Doc:      "list upgradeHandler in the adapter's exports, so Astro's server entry re-exports it",
	Files:    nodeIndex,
	Versions: adapters.NodeModuleEntry.Before(),
	Want:     engine.Exactly(1),
	Locate: engine.Nodes(func(t *engine.Tree) []*sitter.Node {
		return engine.Each(engine.ReturnedBy(t, "getAdapter"), func(obj *sitter.Node) []*sitter.Node {
			var arrays []*sitter.Node
			for _, p := range engine.PropertyNamed(t, obj, "exports") {
				if v := engine.Unwrap(engine.PropertyValue(p)); v != nil && v.Type() == "array" {
					arrays = append(arrays, v)
				}
			}
			return arrays
		})
	}),
	Edit: func(t *engine.Tree, m engine.Match) ([]engine.Edit, error) {
		arr := m.Node
		elems := engine.NamedChildren(arr)
		var last *sitter.Node
		for _, e := range elems {
			if e.Type() != "comment" {
				last = e
			}
		}
		if last == nil {
			return []engine.Edit{engine.InsertAfter(arr.Child(0), `"upgradeHandler"`)}, nil
		}
		return []engine.Edit{engine.InsertAfter(last, `, "upgradeHandler"`)}, nil
	},
}

// NodeServerUpgradeHandler is the step "node/server-upgrade-handler".
var NodeServerUpgradeHandler = engine.Step{
	Name:     "node/server-upgrade-handler",
	Doc:      "the server entry exports upgradeHandler beside handler, for middleware mode (server.on('upgrade', upgradeHandler))",
	Files:    []string{"src/server.ts", "dist/server.js"},
	Versions: adapters.NodeModuleEntry.From(),
	Want:     engine.Exactly(1),
	Locate: func(t *engine.Tree) []engine.Match {
		var out []engine.Match
		for _, d := range engine.VariableDeclarator(t, nil, "handler") {
			if stmt := engine.TopLevelStatement(t, d); stmt != nil {
				out = append(out, engine.Match{Node: d, Captures: map[string]*sitter.Node{"statement": stmt}})
			}
		}
		return out
	},
	Edit: func(t *engine.Tree, m engine.Match) ([]engine.Edit, error) {
		decl, stmt := m.Node, m.Capture("statement")
		options := ""
		for _, call := range engine.Descendants(t, decl.ChildByFieldName("value"), "call_expression") {
			if args := engine.Arguments(call); len(args) >= 2 && args[1].Type() == "identifier" {
				options = t.Text(args[1])
				break
			}
		}
		if options == "" {
			return nil, fmt.Errorf("handler is not made by a call with the options as second argument: %s", t.Text(decl))
		}
		edits := []engine.Edit{engine.AddImport(t, runtimeImport("createUpgradeHandler"))}
		if stmt.Type() == "export_statement" {
			return append(edits, engine.InsertAfter(stmt, fmt.Sprintf("\nexport const upgradeHandler = __zastroCreateUpgradeHandler(handler, %s);", options))), nil
		}
		edits = append(edits, engine.InsertAfter(stmt, fmt.Sprintf("\nconst upgradeHandler = __zastroCreateUpgradeHandler(handler, %s);", options)))
		spec := engine.ExportSpecifier(t, "handler")
		if spec == nil {
			return nil, fmt.Errorf("handler is declared but not exported")
		}
		return append(edits, engine.InsertAfter(spec, ", upgradeHandler")), nil
	},
}

// NodeDevServerHook is the step "node/dev-server-hook".
var NodeDevServerHook = engine.Step{
	Name:  "node/dev-server-hook",
	Doc:   "add an astro:server:setup hook that serves WebSocket routes in `astro dev`",
	Files: nodeIndex,
	Want:  engine.Exactly(1),
	Locate: func(t *engine.Tree) []engine.Match {
		var out []engine.Match
		for _, fn := range engine.FunctionNamed(t, "createIntegration") {
			for _, hooks := range hookObjects(t, engine.ReturnedObjects(t, fn)) {
				out = append(out, engine.Match{Node: hooks, Captures: map[string]*sitter.Node{"function": fn}})
			}
		}
		return out
	},
	Edit: func(t *engine.Tree, m engine.Match) ([]engine.Edit, error) {
		hooks := m.Node
		if len(engine.PropertyNamed(t, hooks, "astro:server:setup")) > 0 {
			return nil, fmt.Errorf("upstream now has its own astro:server:setup hook: the recipe must chain it")
		}
		params := engine.ParamNames(t, m.Capture("function"))
		if len(params) < 1 || params[0] == "" {
			return nil, fmt.Errorf("createIntegration takes no named options parameter")
		}
		return []engine.Edit{
			engine.AddImport(t, runtimeImport("setupDevServer")),
			engine.InsertAfter(hooks.Child(0), fmt.Sprintf("\n\t\t\"astro:server:setup\": ({ server }) => __zastroSetupDevServer(server, %s),", params[0])),
		}, nil
	},
}

// serverDeclaration locates `const server = createServer(...)` inside the
// function called fn, which it captures as "function".
func serverDeclaration(fn string) func(t *engine.Tree) []engine.Match {
	return func(t *engine.Tree) []engine.Match {
		var out []engine.Match
		for _, f := range engine.FunctionNamed(t, fn) {
			for _, d := range engine.VariableDeclarator(t, f, "server") {
				if v := engine.Unwrap(d.ChildByFieldName("value")); v != nil && v.Type() == "call_expression" && engine.CalleeIs(t, v.ChildByFieldName("function"), []string{"createServer"}) {
					out = append(out, engine.Match{Node: d, Captures: map[string]*sitter.Node{"function": f}})
				}
			}
		}
		return out
	}
}

// hookObjects returns the object literals that are the hooks property of
// each object: `hooks: { ... }`.
func hookObjects(t *engine.Tree, objs []*sitter.Node) []*sitter.Node {
	return engine.Each(objs, func(obj *sitter.Node) []*sitter.Node {
		var out []*sitter.Node
		for _, p := range engine.PropertyNamed(t, obj, "hooks") {
			if v := engine.Unwrap(engine.PropertyValue(p)); v != nil && v.Type() == "object" {
				out = append(out, v)
			}
		}
		return out
	})
}

// attachAfter inserts `attachUpgrade(server.server, <listener>, options)` after
// the declaration of the server; the listener is createServer's first argument.
func attachAfter(t *engine.Tree, decl *sitter.Node, options string) ([]engine.Edit, error) {
	call := engine.Unwrap(decl.ChildByFieldName("value"))
	args := engine.Arguments(call)
	if len(args) == 0 || args[0].Type() != "identifier" {
		return nil, fmt.Errorf("createServer's first argument is not the request listener: %s", t.Text(call))
	}
	stmt := decl.Parent()
	if stmt == nil {
		return nil, fmt.Errorf("declaration without a statement")
	}
	server := t.Text(decl.ChildByFieldName("name"))
	return []engine.Edit{
		engine.AddImport(t, runtimeImport("attachUpgrade")),
		engine.InsertAfter(stmt, fmt.Sprintf("\n\t__zastroAttachUpgrade(%s.server, %s, %s);", server, t.Text(args[0]), options)),
	}, nil
}
