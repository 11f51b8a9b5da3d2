package verify

import (
	"sort"
	"strings"

	sitter "github.com/smacker/go-tree-sitter"
	"github.com/zastro-dev/zastro/transform"
)

// importedNames reads, from the syntax trees of the package's JavaScript
// files, which names each external module is imported under, so that its stub
// can export exactly those ("default" for default imports).
func importedNames(files map[string][]byte) map[string][]string {
	sets := map[string]map[string]bool{}
	add := func(src, name string) {
		if sets[src] == nil {
			sets[src] = map[string]bool{}
		}
		if name != "" {
			sets[src][name] = true
		}
	}
	for p, b := range files {
		if !strings.HasSuffix(p, ".js") && !strings.HasSuffix(p, ".mjs") {
			continue
		}
		t, err := transform.Parse(p, b)
		if err != nil {
			continue // the bundler reports syntax errors with their location
		}
		transform.Walk(t.Root, func(n *sitter.Node) bool {
			switch n.Type() {
			case "import_statement", "export_statement":
				srcNode := transform.ImportSource(n)
				if srcNode == nil {
					return n.Type() == "export_statement"
				}
				src, ok := transform.StringValue(t, srcNode)
				if !ok || strings.HasPrefix(src, ".") {
					return false
				}
				add(src, "")
				transform.Walk(n, func(c *sitter.Node) bool {
					switch c.Type() {
					case "import_specifier", "export_specifier":
						add(src, t.Text(c.ChildByFieldName("name")))
						return false
					case "import_clause":
						for i := 0; i < int(c.NamedChildCount()); i++ {
							if c.NamedChild(i).Type() == "identifier" {
								add(src, "default")
							}
						}
					}
					return true
				})
				return false
			}
			return true
		})
	}
	out := map[string][]string{}
	for src, set := range sets {
		names := make([]string, 0, len(set))
		for n := range set {
			names = append(names, n)
		}
		sort.Strings(names)
		out[src] = names
	}
	return out
}

// stubModule is an ES module exporting each name as a callable, constructible
// stub (see harness).
func stubModule(src string, names []string) string {
	var b strings.Builder
	for _, n := range names {
		if n == "default" {
			b.WriteString("export default globalThis.__stub(" + quote(src) + ");\n")
			continue
		}
		b.WriteString("export const " + n + " = globalThis.__stub(" + quote(src+"#"+n) + ");\n")
	}
	if len(names) == 0 {
		b.WriteString("export {};\n")
	}
	return b.String()
}

func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}
