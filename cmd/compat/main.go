// Command compat prints the README's compatibility table of one adapter from
// the results file that the end-to-end suite writes:
//
//	go run ./cmd/compat node        # reads e2e/results/node.json
//	go run ./cmd/compat -w node     # and replaces the table in README.md
//
// In README.md the table sits between <!-- compat:node --> and
// <!-- /compat:node -->.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/zastro-dev/zastro/adapters"
)

type result struct {
	AdapterVersion string `json:"adapter_version"`
	AstroVersion   string `json:"astro_version"`
	ViteVersion    string `json:"vite_version"`
	Wrangler       string `json:"wrangler_version"`
	Runtime        string `json:"runtime"`
	Mode           string `json:"mode"`
	Result         string `json:"result"`
	Passed         int    `json:"passed"`
	Failed         int    `json:"failed"`
	Date           string `json:"date"`
}

func main() {
	args := os.Args[1:]
	write := len(args) > 0 && args[0] == "-w"
	if write {
		args = args[1:]
	}
	var d adapters.Adapter
	if len(args) == 1 {
		d, _ = adapters.Lookup(args[0])
	}
	if len(d.Compat) == 0 {
		fmt.Fprintf(os.Stderr, "usage: go run ./cmd/compat [-w] %s\n", strings.Join(adapters.Names(), "|"))
		os.Exit(2)
	}
	adapter := d.Name
	b, err := os.ReadFile("e2e/results/" + adapter + ".json")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var doc struct{ Results []result }
	if err := json.Unmarshal(b, &doc); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	type row struct {
		adapter, astro, vite, wrangler string
		modes                          map[string]result
	}
	rows := map[string]*row{}
	for _, r := range doc.Results {
		k := r.AdapterVersion + " " + r.AstroVersion
		if rows[k] == nil {
			rows[k] = &row{r.AdapterVersion, r.AstroVersion, r.ViteVersion, "", map[string]result{}}
		}
		if r.Wrangler != "" {
			rows[k].wrangler = r.Wrangler
		}
		rows[k].modes[r.Mode] = r
	}
	list := make([]*row, 0, len(rows))
	for _, r := range rows {
		list = append(list, r)
	}
	sort.Slice(list, func(i, j int) bool {
		a, _ := semver.NewVersion(list[i].adapter)
		b, _ := semver.NewVersion(list[j].adapter)
		return a != nil && b != nil && a.GreaterThan(b)
	})
	head := []string{d.Package, "Astro", "Vite"}
	if d.Worker {
		head = append(head, "wrangler")
	}
	for _, c := range d.Compat {
		head = append(head, c.Heading)
	}
	var out strings.Builder
	fmt.Fprintln(&out, "| "+strings.Join(head, " | ")+" |")
	fmt.Fprintln(&out, "|"+strings.Repeat(" --- |", len(head)))
	for _, r := range list {
		cells := []string{r.adapter, r.astro, r.vite}
		if d.Worker {
			cells = append(cells, r.wrangler)
		}
		for _, c := range d.Compat {
			res, ok := r.modes[c.Mode]
			switch {
			case !ok:
				cells = append(cells, "not run")
			case c.Mode == "types":
				cells = append(cells, res.Result)
			default:
				cell := fmt.Sprintf("%s %d/%d", res.Result, res.Passed, res.Passed+res.Failed)
				if c.Runtime && res.Runtime != "" {
					cell += " on " + res.Runtime
				}
				cells = append(cells, cell)
			}
		}
		fmt.Fprintln(&out, "| "+strings.Join(cells, " | ")+" |")
	}
	if !write {
		fmt.Print(out.String())
		return
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	open, end := "<!-- compat:"+adapter+" -->\n", "<!-- /compat:"+adapter+" -->"
	before, rest, ok1 := strings.Cut(string(readme), open)
	_, after, ok2 := strings.Cut(rest, end)
	if !ok1 || !ok2 {
		fmt.Fprintf(os.Stderr, "README.md has no %s...%s block\n", strings.TrimSpace(open), end)
		os.Exit(1)
	}
	if err := os.WriteFile("README.md", []byte(before+open+out.String()+end+after), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
