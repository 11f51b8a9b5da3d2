package transform

import (
	"fmt"

	sitter "github.com/smacker/go-tree-sitter"
	"github.com/zastro-dev/zastro/adapters"
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
const nodeRuntime = "./zastro/node/index.js"

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
var NodeWebSocketSteps = []Step{
	NodeLocalsAppHandler,
	NodeStandaloneUpgrade,
	NodePreviewUpgrade,
	NodeServerUpgradeHandlerExports,
	NodeAdapterExportsUpgradeHandler,
	NodeServerUpgradeHandler,
	NodeDevServerHook,
}

// NodeLocalsAppHandler is the step "node/locals-app-handler".
var NodeLocalsAppHandler = Step{
	Name:  "node/locals-app-handler",
	Doc:   "give every request's locals isUpgradeRequest and upgradeWebSocket(), first thing in the handler createAppHandler returns",
	Files: []string{"src/serve-app.ts", "dist/serve-app.js"},
	Want:  Exactly(1),
	Locate: Nodes(func(t *Tree) []*sitter.Node {
		return Each(FunctionNamed(t, "createAppHandler"), func(fn *sitter.Node) []*sitter.Node {
			return returnedFunctions(t, fn)
		})
	}),
	Edit: func(t *Tree, m Match) ([]Edit, error) {
		fn := m.Node
		params := paramNames(t, fn)
		if len(params) < 4 || params[0] == "" || params[3] == "" {
			return nil, fmt.Errorf("the request handler's parameters are %v: want (req, res, next, locals)", params)
		}
		body := fn.ChildByFieldName("body")
		if body == nil || body.Type() != "statement_block" || body.ChildCount() == 0 {
			return nil, fmt.Errorf("the request handler has no block body")
		}
		open := body.Child(0) // "{"
		return []Edit{
			AddImport(t, runtimeImport("prepareLocals")),
			InsertAfter(open, fmt.Sprintf("\n\t%s = __zastroPrepareLocals(%s, %s);", params[3], params[0], params[3])),
		}, nil
	},
}

// NodeStandaloneUpgrade is the step "node/standalone-upgrade".
var NodeStandaloneUpgrade = Step{
	Name:   "node/standalone-upgrade",
	Doc:    "hand upgrade requests of the standalone server to the same handler as normal requests",
	Files:  []string{"src/standalone.ts", "dist/standalone.js"},
	Want:   Exactly(1),
	Locate: serverDeclaration("standalone"),
	Edit: func(t *Tree, m Match) ([]Edit, error) {
		params := paramNames(t, m.Capture("function"))
		if len(params) < 2 || params[1] == "" {
			return nil, fmt.Errorf("standalone's parameters are %v: want (app, options, ...)", params)
		}
		return attachAfter(t, m.Node, params[1])
	},
}

// NodePreviewUpgrade is the step "node/preview-upgrade".
var NodePreviewUpgrade = Step{
	Name:   "node/preview-upgrade",
	Doc:    "hand upgrade requests of `astro preview` to the server entry's handler",
	Files:  []string{"src/preview.ts", "dist/preview.js"},
	Want:   Exactly(1),
	Locate: serverDeclaration("createPreviewServer"),
	Edit: func(t *Tree, m Match) ([]Edit, error) {
		// The preview server imports the server entry; importing it
		// again returns the same module, whose options carry the
		// user's `websocket` settings.
		fn := m.Capture("function")
		if fn == nil || fn.Child(0) == nil || fn.Child(0).Type() != "async" {
			return nil, fmt.Errorf("createPreviewServer is not an async function")
		}
		var imports []*sitter.Node
		for _, call := range Descendants(t, fn, "call_expression") {
			if f := call.ChildByFieldName("function"); f != nil && f.Type() == "import" {
				imports = append(imports, call)
			}
		}
		if len(imports) != 1 || len(Arguments(imports[0])) != 1 {
			return nil, fmt.Errorf("createPreviewServer should import the server entry once, found %d dynamic imports", len(imports))
		}
		entry := t.Text(Arguments(imports[0])[0])
		return attachAfter(t, m.Node, "(await import("+entry+")).options")
	},
}

// NodeServerUpgradeHandlerExports is the step "node/server-upgrade-handler-exports".
var NodeServerUpgradeHandlerExports = Step{
	Name:     "node/server-upgrade-handler-exports",
	Doc:      "createExports() also returns upgradeHandler, for middleware mode (server.on('upgrade', upgradeHandler))",
	Files:    []string{"src/server.ts", "dist/server.js"},
	Versions: adapters.NodeModuleEntry.Before(),
	Want:     Exactly(1),
	Locate: func(t *Tree) []Match {
		var out []Match
		for _, fn := range FunctionNamed(t, "createExports") {
			for _, obj := range ReturnedObjects(t, fn) {
				out = append(out, Match{Node: obj, Captures: map[string]*sitter.Node{"function": fn}})
			}
		}
		return out
	},
	Edit: func(t *Tree, m Match) ([]Edit, error) {
		obj := m.Node
		params := paramNames(t, m.Capture("function"))
		if len(params) < 2 || params[1] == "" {
			return nil, fmt.Errorf("createExports' parameters are %v: want (manifest, options)", params)
		}
		return []Edit{
			AddImport(t, runtimeImport("withUpgradeHandler")),
			InsertBefore(obj, "__zastroWithUpgradeHandler("),
			InsertAfter(obj, ", "+params[1]+")"),
		}, nil
	},
}

// NodeAdapterExportsUpgradeHandler is the step "node/adapter-exports-upgrade-handler".
var NodeAdapterExportsUpgradeHandler = Step{
	Name:     "node/adapter-exports-upgrade-handler",
	Doc:      "list upgradeHandler in the adapter's exports, so Astro's server entry re-exports it",
	Files:    nodeIndex,
	Versions: adapters.NodeModuleEntry.Before(),
	Want:     Exactly(1),
	Locate: Nodes(func(t *Tree) []*sitter.Node {
		return Each(returnedBy(t, "getAdapter"), func(obj *sitter.Node) []*sitter.Node {
			var arrays []*sitter.Node
			for _, p := range PropertyNamed(t, obj, "exports") {
				if v := Unwrap(PropertyValue(p)); v != nil && v.Type() == "array" {
					arrays = append(arrays, v)
				}
			}
			return arrays
		})
	}),
	Edit: func(t *Tree, m Match) ([]Edit, error) {
		arr := m.Node
		elems := namedChildren(arr)
		var last *sitter.Node
		for _, e := range elems {
			if e.Type() != "comment" {
				last = e
			}
		}
		if last == nil {
			return []Edit{InsertAfter(arr.Child(0), `"upgradeHandler"`)}, nil
		}
		return []Edit{InsertAfter(last, `, "upgradeHandler"`)}, nil
	},
}

// NodeServerUpgradeHandler is the step "node/server-upgrade-handler".
var NodeServerUpgradeHandler = Step{
	Name:     "node/server-upgrade-handler",
	Doc:      "the server entry exports upgradeHandler beside handler, for middleware mode (server.on('upgrade', upgradeHandler))",
	Files:    []string{"src/server.ts", "dist/server.js"},
	Versions: adapters.NodeModuleEntry.From(),
	Want:     Exactly(1),
	Locate: func(t *Tree) []Match {
		var out []Match
		for _, d := range VariableDeclarator(t, nil, "handler") {
			if stmt := topLevelStatement(t, d); stmt != nil {
				out = append(out, Match{Node: d, Captures: map[string]*sitter.Node{"statement": stmt}})
			}
		}
		return out
	},
	Edit: func(t *Tree, m Match) ([]Edit, error) {
		decl, stmt := m.Node, m.Capture("statement")
		options := ""
		for _, call := range Descendants(t, decl.ChildByFieldName("value"), "call_expression") {
			if args := Arguments(call); len(args) >= 2 && args[1].Type() == "identifier" {
				options = t.Text(args[1])
				break
			}
		}
		if options == "" {
			return nil, fmt.Errorf("handler is not made by a call with the options as second argument: %s", t.Text(decl))
		}
		edits := []Edit{AddImport(t, runtimeImport("createUpgradeHandler"))}
		if stmt.Type() == "export_statement" {
			return append(edits, InsertAfter(stmt, fmt.Sprintf("\nexport const upgradeHandler = __zastroCreateUpgradeHandler(handler, %s);", options))), nil
		}
		edits = append(edits, InsertAfter(stmt, fmt.Sprintf("\nconst upgradeHandler = __zastroCreateUpgradeHandler(handler, %s);", options)))
		spec := exportSpecifier(t, "handler")
		if spec == nil {
			return nil, fmt.Errorf("handler is declared but not exported")
		}
		return append(edits, InsertAfter(spec, ", upgradeHandler")), nil
	},
}

// NodeDevServerHook is the step "node/dev-server-hook".
var NodeDevServerHook = Step{
	Name:  "node/dev-server-hook",
	Doc:   "add an astro:server:setup hook that serves WebSocket routes in `astro dev`",
	Files: nodeIndex,
	Want:  Exactly(1),
	Locate: func(t *Tree) []Match {
		var out []Match
		for _, fn := range FunctionNamed(t, "createIntegration") {
			for _, hooks := range hookObjects(t, ReturnedObjects(t, fn)) {
				out = append(out, Match{Node: hooks, Captures: map[string]*sitter.Node{"function": fn}})
			}
		}
		return out
	},
	Edit: func(t *Tree, m Match) ([]Edit, error) {
		hooks := m.Node
		if len(PropertyNamed(t, hooks, "astro:server:setup")) > 0 {
			return nil, fmt.Errorf("upstream now has its own astro:server:setup hook: the recipe must chain it")
		}
		params := paramNames(t, m.Capture("function"))
		if len(params) < 1 || params[0] == "" {
			return nil, fmt.Errorf("createIntegration takes no named options parameter")
		}
		return []Edit{
			AddImport(t, runtimeImport("setupDevServer")),
			InsertAfter(hooks.Child(0), fmt.Sprintf("\n\t\t\"astro:server:setup\": ({ server }) => __zastroSetupDevServer(server, %s),", params[0])),
		}, nil
	},
}

// serverDeclaration locates `const server = createServer(...)` inside the
// function called fn, which it captures as "function".
func serverDeclaration(fn string) func(t *Tree) []Match {
	return func(t *Tree) []Match {
		var out []Match
		for _, f := range FunctionNamed(t, fn) {
			for _, d := range VariableDeclarator(t, f, "server") {
				if v := Unwrap(d.ChildByFieldName("value")); v != nil && v.Type() == "call_expression" && calleeIs(t, v.ChildByFieldName("function"), []string{"createServer"}) {
					out = append(out, Match{Node: d, Captures: map[string]*sitter.Node{"function": f}})
				}
			}
		}
		return out
	}
}

// hookObjects returns the object literals that are the hooks property of
// each object: `hooks: { ... }`.
func hookObjects(t *Tree, objs []*sitter.Node) []*sitter.Node {
	return Each(objs, func(obj *sitter.Node) []*sitter.Node {
		var out []*sitter.Node
		for _, p := range PropertyNamed(t, obj, "hooks") {
			if v := Unwrap(PropertyValue(p)); v != nil && v.Type() == "object" {
				out = append(out, v)
			}
		}
		return out
	})
}

// attachAfter inserts `attachUpgrade(server.server, <listener>, options)` after
// the declaration of the server; the listener is createServer's first argument.
func attachAfter(t *Tree, decl *sitter.Node, options string) ([]Edit, error) {
	call := Unwrap(decl.ChildByFieldName("value"))
	args := Arguments(call)
	if len(args) == 0 || args[0].Type() != "identifier" {
		return nil, fmt.Errorf("createServer's first argument is not the request listener: %s", t.Text(call))
	}
	stmt := decl.Parent()
	if stmt == nil {
		return nil, fmt.Errorf("declaration without a statement")
	}
	server := t.Text(decl.ChildByFieldName("name"))
	return []Edit{
		AddImport(t, runtimeImport("attachUpgrade")),
		InsertAfter(stmt, fmt.Sprintf("\n\t__zastroAttachUpgrade(%s.server, %s, %s);", server, t.Text(args[0]), options)),
	}, nil
}

// returnedFunctions returns the functions that fn returns directly
// (`return async (req, res) => {...}`).
func returnedFunctions(t *Tree, fn *sitter.Node) []*sitter.Node {
	body := fn.ChildByFieldName("body")
	if body == nil || body.Type() != "statement_block" {
		return nil
	}
	var out []*sitter.Node
	Walk(body, func(n *sitter.Node) bool {
		if n != body && isFunction(n) {
			return false
		}
		if n.Type() == "return_statement" {
			if v := Unwrap(firstNamedChild(n)); v != nil && isFunction(v) {
				out = append(out, v)
			}
			return false
		}
		return true
	})
	return found(t, out)
}

// paramNames returns the names of fn's parameters, "" for a destructured one.
func paramNames(t *Tree, fn *sitter.Node) []string {
	if fn == nil {
		return nil
	}
	if p := fn.ChildByFieldName("parameter"); p != nil { // x => ...
		return []string{t.Text(p)}
	}
	ps := fn.ChildByFieldName("parameters")
	if ps == nil {
		return nil
	}
	var names []string
	for _, p := range namedChildren(ps) {
		switch p.Type() {
		case "comment":
			continue
		case "identifier":
			names = append(names, t.Text(p))
		case "required_parameter", "optional_parameter":
			if pat := p.ChildByFieldName("pattern"); pat != nil && pat.Type() == "identifier" {
				names = append(names, t.Text(pat))
			} else {
				names = append(names, "")
			}
		default:
			names = append(names, "")
		}
	}
	return names
}

// topLevelStatement returns the module-level statement that declares decl
// (`const x = ...` or `export const x = ...`), nil when decl is nested.
func topLevelStatement(t *Tree, decl *sitter.Node) *sitter.Node {
	stmt := decl.Parent()
	if stmt == nil || (stmt.Type() != "lexical_declaration" && stmt.Type() != "variable_declaration") {
		return nil
	}
	if p := stmt.Parent(); p != nil && p.Type() == "export_statement" {
		stmt = p
	}
	if p := stmt.Parent(); p == nil || p.Type() != "program" {
		return nil
	}
	return stmt
}

// exportSpecifier finds `name` in a module-level `export { ... }` clause.
func exportSpecifier(t *Tree, name string) *sitter.Node {
	for _, stmt := range namedChildren(t.Root) {
		if stmt.Type() != "export_statement" || stmt.ChildByFieldName("source") != nil {
			continue
		}
		for _, clause := range namedChildren(stmt) {
			if clause.Type() != "export_clause" {
				continue
			}
			for _, spec := range namedChildren(clause) {
				if spec.Type() == "export_specifier" && t.Text(spec.ChildByFieldName("name")) == name && spec.ChildByFieldName("alias") == nil {
					return spec
				}
			}
		}
	}
	return nil
}
