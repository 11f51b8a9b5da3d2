package engine

import (
	"fmt"

	sitter "github.com/smacker/go-tree-sitter"
)

// Count is how many matches a step must find: at least Min, at most Max
// (Max -1: no upper bound).
type Count struct{ Min, Max int }

// Exactly wants n matches.
func Exactly(n int) Count { return Count{Min: n, Max: n} }

// AtLeast wants n matches or more.
func AtLeast(n int) Count { return Count{Min: n, Max: -1} }

// Between wants from min to max matches.
func Between(min, max int) Count { return Count{Min: min, Max: max} }

// Contains reports whether n matches satisfy c.
func (c Count) Contains(n int) bool { return n >= c.Min && (c.Max < 0 || n <= c.Max) }

// String says what c wants: "1", "at least 1", "1 to 3".
func (c Count) String() string {
	switch {
	case c.Max < 0:
		return fmt.Sprintf("at least %d", c.Min)
	case c.Min == c.Max:
		return fmt.Sprintf("%d", c.Min)
	default:
		return fmt.Sprintf("%d to %d", c.Min, c.Max)
	}
}

func (c Count) valid() bool { return c.Min >= 0 && (c.Max == -1 || c.Max >= c.Min) }

// Step is one named change to an adapter: data plus a locator and an edit.
// The engine (Apply) parses the step's file, calls Locate once per file,
// checks the number of matches against Want, then calls Edit once per match.
type Step struct {
	// Name identifies the step in errors, diffs and marker comments:
	// "<adapter>/<what>", e.g. "node/identity-adapter-name".
	Name string
	// Doc says in one line what the step changes and why.
	Doc string
	// Files are candidate paths in the package; the first candidate that
	// exists is used. A candidate with glob characters (* ? [ ] {a,b}, and **
	// for any number of folders) selects every file it matches, when it
	// matches any. Git sources carry TypeScript in src/, npm tarballs
	// compiled JavaScript in dist/: list both, e.g. {"src/index.ts", "dist/index.js"}.
	Files []string
	// Except leaves files out of what Files selects: patterns like
	// "**/*.d.ts" (declaration files, which the grammar does not always read
	// and which the declaration steps edit as whole files).
	Except []string
	// Versions is a Masterminds/semver constraint on the adapter version;
	// "" applies to every version. Pre-releases are compared in semver
	// order (13.0.0-beta.1 is below 13.0.0: use ">=13.0.0-0" to include it).
	Versions string
	// Want is how many matches the step must find, over all its files.
	Want Count
	// Remainder drops the matches that an earlier step of the recipe already
	// edits, before counting: for catch-all steps ("every other reference").
	Remainder bool
	// MayMatch, when set, is a cheap necessary condition on a file's bytes
	// for Locate to find anything in it: a file for which it returns false
	// (and that holds no marker of the step) is not parsed for this step.
	// It never locates code, Locate does; it only spares the parse of files
	// that cannot hold a match, for catch-all steps over every file.
	MayMatch func(src []byte) bool
	// WholeFile marks a step that only adds text at the start or the end of
	// its files (a reference directive, a declaration): it locates the
	// program root, which every parse yields, so the engine hands it a file
	// even when the grammar reports syntax errors in it (the pinned
	// tree-sitter TypeScript grammar cannot read some tsc-emitted .d.ts),
	// and accepts the edited file when it did not parse before either. Its
	// edits must be insertions at offset 0 or at the end of the file.
	WholeFile bool
	// Locate returns the places to change, each with the nodes it found on
	// the way (Match.Captures). Build it from the locator helpers
	// (FunctionNamed, ReturnedObjects, PropertyNamed, CallsTo, StringLiterals,
	// ...), never from searches over the source text.
	Locate func(t *Tree) []Match
	// Edit returns the splices for one match: it reads what Locate captured
	// instead of searching again. Offsets refer to the original file; the
	// engine adds the step's marker comment to each.
	Edit func(t *Tree, m Match) ([]Edit, error)
}

// Match is one place a step changes. Node is what the step edits: the engine
// counts matches by it against Want, checks overlaps with it, and points its
// messages at it. Captures are the nodes Locate found on the way there, by
// name ("function": the function that holds Node), for Edit to use.
type Match struct {
	Node     *sitter.Node
	Captures map[string]*sitter.Node
}

// Capture returns the node Locate captured under name, nil when none.
func (m Match) Capture(name string) *sitter.Node { return m.Captures[name] }

// Matches wraps located nodes that carry no captures.
func Matches(nodes []*sitter.Node) []Match {
	out := make([]Match, 0, len(nodes))
	for _, n := range nodes {
		out = append(out, Match{Node: n})
	}
	return out
}

// Nodes turns a locator of nodes into a step's Locate.
func Nodes(locate func(t *Tree) []*sitter.Node) func(t *Tree) []Match {
	return func(t *Tree) []Match { return Matches(locate(t)) }
}

// Recipe is the list of steps that turns one upstream adapter package into
// its zastro fork.
type Recipe struct {
	Adapter    string // "node"
	Package    string // upstream package: "@astrojs/node"
	NewPackage string // generated package: "zastro-websockets-node"
	// Supported is the range of adapter versions the recipe is declared to
	// support (Masterminds/semver): the measured one, which the last sweep
	// (sweep/results/<adapter>.json) saw build and verify. "" declares none.
	Supported string
	Steps     []Step
	// Declarations are the steps over upstream's compiled declaration files
	// (dist/*.d.ts), applied by the assembler with DeclarationRecipe once it
	// has them: a git checkout holds none.
	Declarations []Step
}

// Input is one upstream adapter package: its files by slash-separated path
// relative to the package root ("dist/index.js", "src/index.ts").
type Input struct {
	Adapter string // "node"; "" takes the recipe's
	Version string // the adapter's exact version, "11.1.6"
	Files   map[string][]byte
}

// Change records that a step edited a file, and how many edits it made.
type Change struct {
	File  string
	Step  string
	Edits int
}

// Result is what Apply returns. Files is the full new file set, unchanged
// files included (sharing the input's byte slices); it is nil when Errors is
// not empty, so that nothing half-patched can be written.
type Result struct {
	Files   map[string][]byte
	Changes []Change
	Errors  []Message
	// Edits are the edits spliced into each changed file, in file order,
	// their marker comments included: what the output can be checked against.
	Edits map[string][]Applied
}

// Applied is one edit as spliced, with the step that made it.
type Applied struct {
	Edit
	Step string
}
