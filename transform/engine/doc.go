// Package engine applies recipes to an upstream package's files at the
// syntax-tree level: matching (a step's files, its locator, the count it
// wants), edit application (byte-range splices with marker comments,
// overlap and re-parse checks) and diagnostics (Message, with a typed Stage
// and a location). It also holds the one set of syntax-tree helpers the
// recipes use (locate.go, helpers.go). The recipes themselves are in the
// parent package, transform.
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
package engine
