package verify

import (
	"encoding/json"
	"sort"
	"strings"
)

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// metaExports reads the entry point's export names from esbuild's metafile.
func metaExports(metafile string) []string {
	var m struct {
		Outputs map[string]struct {
			EntryPoint string   `json:"entryPoint"`
			Exports    []string `json:"exports"`
		} `json:"outputs"`
	}
	if json.Unmarshal([]byte(metafile), &m) != nil {
		return nil
	}
	var out []string
	for _, o := range m.Outputs {
		if o.EntryPoint != "" {
			out = append(out, o.Exports...)
		}
	}
	sort.Strings(out)
	return out
}

// metaInputs reads the package files a bundle includes from esbuild's
// metafile ("pkg:/dist/x.js" becomes "dist/x.js"; stubs are left out).
func metaInputs(metafile string) []string {
	var m struct {
		Inputs map[string]json.RawMessage `json:"inputs"`
	}
	if json.Unmarshal([]byte(metafile), &m) != nil {
		return nil
	}
	var out []string
	for k := range m.Inputs {
		if p, ok := strings.CutPrefix(k, "pkg:/"); ok {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}
