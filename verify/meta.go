package verify

import (
	"encoding/json"
	"fmt"
)

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// meta is what Check reads of esbuild's metafile.
type meta struct {
	Inputs map[string]struct {
		Imports []struct {
			Path string `json:"path"`
		} `json:"imports"`
	} `json:"inputs"`
	Outputs map[string]metaOutput `json:"outputs"`
}

type metaOutput struct {
	EntryPoint string   `json:"entryPoint"`
	Exports    []string `json:"exports"`
	path       string   // the output's key
}

func readMeta(metafile string) (meta, error) {
	var m meta
	if err := json.Unmarshal([]byte(metafile), &m); err != nil {
		return m, fmt.Errorf("esbuild metafile: %v", err)
	}
	return m, nil
}

// output returns the output of an entry point (an input key: "pkg:/dist/server.js").
func (m meta) output(entry string) (metaOutput, bool) {
	for k, o := range m.Outputs {
		if o.EntryPoint == entry {
			o.path = k
			return o, true
		}
	}
	return metaOutput{}, false
}

// reachable returns the inputs that entry imports, directly or not, entry
// included: the files esbuild loads for a bundle of entry alone.
func (m meta) reachable(entry string) map[string]bool {
	seen := map[string]bool{entry: true}
	queue := []string{entry}
	for len(queue) > 0 {
		k := queue[0]
		queue = queue[1:]
		for _, imp := range m.Inputs[k].Imports {
			if !seen[imp.Path] {
				seen[imp.Path] = true
				queue = append(queue, imp.Path)
			}
		}
	}
	return seen
}
