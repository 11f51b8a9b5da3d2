// Package transform changes upstream Astro adapters at the syntax-tree level:
// a small engine that applies recipes (lists of named steps) to a package's
// files, and the recipes themselves.
//
//	recipe, _ := transform.RecipeFor("node")
//	res := transform.Apply(recipe, transform.Input{
//		Adapter: "node",
//		Version: "11.1.6",
//		Files:   files, // "dist/index.js" -> bytes, ...
//	})
//	for _, m := range res.Errors {
//		fmt.Fprintln(os.Stderr, m) // dist/index.js:9:4: error: node@11.1.6: ...
//	}
//	for name, b := range res.Files {
//		fmt.Print(transform.UnifiedDiff(name, files[name], b))
//	}
//
// # The engine
//
// Files are parsed with tree-sitter's TypeScript grammar, which reads the
// TypeScript of a git checkout and the compiled JavaScript of an npm tarball
// alike. For each step whose version range admits the adapter version, the
// engine picks the step's files, calls its Locate function on each, checks
// the number of matches against the step's Want, and calls its Edit function
// on each match. Edits are byte-range splices on the original text, so code
// a recipe does not touch stays byte-identical.
//
// Problems are data: Result.Errors holds one Message per problem, each naming
// the adapter and version, the file, the step, what was expected and what was
// found, and a location with the line's text for a caret display. Every step
// is checked and every problem is reported; when there is any, Result.Files
// is nil, so nothing half-patched can be written. Problems include: a step
// finding too few or too many matches (an upstream that changed shape), none
// of a step's files in the package, a file that does not parse, an invalid
// version, edits of two steps that overlap, and edits whose result does not
// parse.
//
// Every edit carries a marker comment, /* zastro:<step name> */. Before a step
// runs, the engine looks for comment nodes holding its marker in the step's
// files; if there is one the step already ran and is skipped. Running a
// recipe on its own output therefore changes nothing.
//
// # Writing a step
//
// A Step is a value, in the spirit of golang.org/x/tools/go/analysis:
//
//	var NodeIdentityServerEntrypoint = transform.Step{
//		Name:     "node/identity-server-entrypoint",
//		Doc:      "point serverEntrypoint (in the object getAdapter returns) at the generated package",
//		Files:    []string{"src/index.ts", "dist/index.js"},
//		Want:     transform.Exactly(1),
//		Locate: func(t *transform.Tree) []transform.Match {
//			var out []transform.Match
//			for _, fn := range transform.FunctionNamed(t, "getAdapter") {
//				for _, obj := range transform.ReturnedObjects(t, fn) {
//					for _, p := range transform.PropertyNamed(t, obj, "serverEntrypoint") {
//						for _, s := range transform.StringLiterals(t, transform.PropertyValue(p), nil) {
//							out = append(out, transform.Match{Node: s, Captures: map[string]*sitter.Node{"adapter": obj}})
//						}
//					}
//				}
//			}
//			return out
//		},
//		Edit: func(t *transform.Tree, m transform.Match) ([]transform.Edit, error) {
//			e, err := transform.ReplaceStringContent(m.Node, "zastro-websockets-node/server.js")
//			return []transform.Edit{e}, err
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
