package adapters

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"
)

// versionLiteral matches a string that is a version or a range of versions:
// "13.0.0", ">=13.0.0-0", "<10.0.0-beta.5", "^8.18.0".
var versionLiteral = regexp.MustCompile(`^\s*(?:[<>=~^]+\s*)?v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\s*(?:\|\||\s)\s*(?:[<>=~^]+\s*)?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)*\s*$`)

// Adapter versions, package names and upstream folders are facts of the
// descriptors: no other package of the program writes one as a literal. Tests may (their inputs are versions);
// e2e and bench are test code too.
func TestNoVersionLiteralOutsideTheDescriptors(t *testing.T) {
	root := ".."
	fset := token.NewFileSet()
	files := 0
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if e.IsDir() && rel != "." {
			switch {
			case rel == "adapters", rel == "e2e", rel == "bench",
				strings.HasPrefix(e.Name(), "."), e.Name() == "testdata", e.Name() == "node_modules",
				rel == "astro-upstream":
				return filepath.SkipDir
			}
			return nil
		}
		if e.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		files++
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err == nil && versionLiteral.MatchString(s) {
				t.Errorf("%s: version literal %s: adapter versions belong in package adapters", fset.Position(lit.Pos()), lit.Value)
			}
			for _, a := range All() {
				for _, name := range append([]string{a.Package, a.Generated}, a.Dirs...) {
					if err == nil && (s == name || strings.HasPrefix(s, name+"/")) {
						t.Errorf("%s: literal %s: the names and folders of %s are in its descriptor", fset.Position(lit.Pos()), lit.Value, a.Name)
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Fatal("no Go file checked")
	}
}

// The literal check must catch what it is meant to.
func TestVersionLiteralPattern(t *testing.T) {
	for _, s := range []string{"13.0.0", ">=13.0.0-0", "<10.0.0-beta.5", "^8.18.0", "^5.4.0 || ^6.0.0", ">=9.0.0 <10.0.0"} {
		if !versionLiteral.MatchString(s) {
			t.Errorf("%q not seen as a version", s)
		}
	}
	for _, s := range []string{"node", "dist/server.js", "version 13", "13.0"} {
		if versionLiteral.MatchString(s) {
			t.Errorf("%q seen as a version", s)
		}
	}
}

// Every cutoff is a valid version, listed once per adapter in order, and
// the recipe-facing ranges it gives parse.
func TestCutoffs(t *testing.T) {
	for _, a := range All() {
		var prev *semver.Version
		seen := map[string]bool{}
		for _, c := range a.Cutoffs {
			v, err := semver.NewVersion(c.Version)
			if err != nil {
				t.Errorf("%s: cutoff %s: %v", a.Name, c.Name, err)
				continue
			}
			if seen[c.Name] {
				t.Errorf("%s: cutoff %s listed twice", a.Name, c.Name)
			}
			seen[c.Name] = true
			if prev != nil && v.LessThan(prev) {
				t.Errorf("%s: cutoff %s (%s) listed after a later one", a.Name, c.Name, c.Version)
			}
			prev = v
			for _, r := range []string{c.From(), c.Before()} {
				if _, err := semver.NewConstraint(r); err != nil {
					t.Errorf("%s: %s: range %q: %v", a.Name, c.Name, r, err)
				}
			}
			if a.Cutoff(c.Name) != c {
				t.Errorf("%s: Cutoff(%q) is not the listed one", a.Name, c.Name)
			}
			at, err := c.Includes(c.Version)
			if err != nil || !at {
				t.Errorf("%s: %s does not include its own version", a.Name, c.Name)
			}
		}
		if _, err := semver.NewConstraint(a.Supported); err != nil {
			t.Errorf("%s: Supported %q: %v", a.Name, a.Supported, err)
		}
		if _, err := a.Contract(a.Newest); err != nil {
			t.Errorf("%s: contract of %s: %v", a.Name, a.Newest, err)
		}
	}
}

// The pre-release before a cutoff is on the old side: 10.0.0-beta.4 has the
// 9.x shape, 10.0.0-beta.5 the new one.
func TestCutoffIncludes(t *testing.T) {
	for _, c := range []struct {
		version string
		want    bool
	}{{"9.5.5", false}, {"10.0.0-beta.4", false}, {"10.0.0-beta.5", true}, {"10.0.0", true}, {"11.1.6", true}} {
		got, err := NodeModuleEntry.Includes(c.version)
		if err != nil || got != c.want {
			t.Errorf("NodeModuleEntry.Includes(%s) = %v, %v; want %v", c.version, got, err, c.want)
		}
	}
	if _, err := NodeModuleEntry.Includes("not a version"); err == nil {
		t.Error("Includes accepted a non-version")
	}
}

func TestLookup(t *testing.T) {
	for _, a := range All() {
		for _, name := range []string{a.Name, a.Package} {
			got, err := Lookup(name)
			if err != nil || got.Name != a.Name {
				t.Errorf("Lookup(%q) = %v, %v", name, got.Name, err)
			}
		}
		if !strings.HasPrefix(a.Generated, "zastro-websockets-") {
			t.Errorf("%s: generated name %q", a.Name, a.Generated)
		}
	}
	if _, err := Lookup("deno"); err == nil || !strings.Contains(err.Error(), "node, cloudflare") {
		t.Errorf("Lookup(deno) error = %v", err)
	}
}
