// Package transform holds the recipes that change the upstream Astro
// adapters, one per adapter, each a list of named steps applied by the
// engine (package transform/engine) to a package's files.
//
//	recipe, _ := transform.RecipeFor("node")
//	res := engine.Apply(recipe, engine.Input{
//		Adapter: "node",
//		Version: "11.1.6",
//		Files:   files, // "dist/index.js" -> bytes, ...
//	})
//	for _, m := range res.Errors {
//		fmt.Fprintln(os.Stderr, m) // dist/index.js:9:4: error: node@11.1.6: ...
//	}
//	for name, b := range res.Files {
//		fmt.Print(engine.UnifiedDiff(name, files[name], b))
//	}
//
// How the engine applies a step is described in package engine.
//
// # Writing a step
//
// A Step is a value, in the spirit of golang.org/x/tools/go/analysis:
//
//	var NodeIdentityServerEntrypoint = engine.Step{
//		Name:     "node/identity-server-entrypoint",
//		Doc:      "point serverEntrypoint (in the object getAdapter returns) at the generated package",
//		Files:    []string{"src/index.ts", "dist/index.js"},
//		Want:     engine.Exactly(1),
//		Locate: func(t *engine.Tree) []engine.Match {
//			var out []engine.Match
//			for _, fn := range engine.FunctionNamed(t, "getAdapter") {
//				for _, obj := range engine.ReturnedObjects(t, fn) {
//					for _, p := range engine.PropertyNamed(t, obj, "serverEntrypoint") {
//						for _, s := range engine.StringLiterals(t, engine.PropertyValue(p), nil) {
//							out = append(out, engine.Match{Node: s, Captures: map[string]*sitter.Node{"adapter": obj}})
//						}
//					}
//				}
//			}
//			return out
//		},
//		Edit: func(t *engine.Tree, m engine.Match) ([]engine.Edit, error) {
//			e, err := engine.ReplaceStringContent(m.Node, "zastro-websockets-node/server.js")
//			return []engine.Edit{e}, err
//		},
//	}
//
// Locate returns matches: the node to change and, in Captures, the nodes it
// found on the way (the enclosing function, the statement), so that Edit
// reads them instead of searching again. Nodes wraps a locator that needs
// no captures. Each step of the shipped recipes is an exported value
// (NodeLocalsAppHandler, CloudflareUpgradeResponse, ...), listed in order
// in NodeSteps and CloudflareSteps.
//
// Rules for step authors:
//
//   - Name is "<adapter>/<what>" and never changes once published: it is the
//     marker that makes the step idempotent. Doc is one line.
//   - Files lists where the code lives in both source forms: src/*.ts for git,
//     dist/*.js for npm. The first candidate present is used; a glob
//     candidate ("src/**/*.ts") selects every file it matches.
//   - Versions narrows the step to the adapter versions whose code has the
//     shape it expects; a different shape gets its own step.
//   - Locate by structure, never by searching the source text: use the
//     helpers (FunctionNamed, ReturnedObjects, PropertyNamed, PropertyValue,
//     CallsTo, Arguments, StringLiterals, VariableDeclarator,
//     ImportDeclarations, Descendants, Walk) and chain them with Each. They
//     record the deepest node they found (Tree.Anchor), so a step that comes
//     up short points at the code that changed.
//   - Want states exactly how many places the step changes; Exactly(1) for
//     a single anchor. A catch-all ("every other reference") uses AtLeast(0)
//     with Remainder, which leaves out what earlier steps already edit.
//   - Edit returns splices on the original bytes (InsertBefore, InsertAfter,
//     Replace, ReplaceStringContent, AddImport). Do not add the marker: the
//     engine puts it in front of each edit's text. An edit must leave the
//     file parsable, and must not land inside a string or comment (its
//     marker would not be a comment): the engine re-parses its output and
//     reports either.
//
// Test a step on hand-written fixtures in testdata/ with golden outputs beside
// them (go test ./transform -update rewrites them), and with a fixture for
// each way it should refuse.
package transform
