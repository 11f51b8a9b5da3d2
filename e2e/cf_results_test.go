package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"sync"
)

// cfOutcome is one row of e2e/results/cloudflare.json.
type cfOutcome struct {
	Adapter         string             `json:"adapter"` // upstream adapter the package was generated from
	AdapterVersion  string             `json:"adapter_version"`
	AstroVersion    string             `json:"astro_version"`
	Generation      string             `json:"generation"` // runtime (10.x to 12.x) | workers (13.x on)
	Package         string             `json:"package"`    // what the project installed
	PackageVersion  string             `json:"package_version,omitempty"`
	WranglerVersion string             `json:"wrangler_version,omitempty"`
	ViteVersion     string             `json:"vite_version,omitempty"`
	NodeVersion     string             `json:"node_version"`
	Mode            string             `json:"mode"`    // build | dev | types
	Runtime         string             `json:"runtime"` // where the mode runs the app
	Result          string             `json:"result"`  // pass | fail
	Passed          int                `json:"passed"`
	Failed          int                `json:"failed"`
	Skipped         int                `json:"skipped"`
	FailedTests     []string           `json:"failed_tests,omitempty"`
	RoomsPassed     int                `json:"rooms_passed,omitempty"` // cloudflare-rooms.test.mjs
	RoomsFailed     int                `json:"rooms_failed,omitempty"`
	Error           string             `json:"error,omitempty"`
	Seconds         map[string]float64 `json:"seconds,omitempty"`
	Date            string             `json:"date"`
}

type cfResultLog struct {
	mu   sync.Mutex
	rows []cfOutcome
}

func (l *cfResultLog) add(o cfOutcome) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rows = append(l.rows, o)
}

// merge writes this run's rows over the same rows of earlier runs, so that a
// run of some generations or modes keeps the others.
func (l *cfResultLog) merge(path string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.rows) == 0 {
		return nil
	}
	key := func(o cfOutcome) string { return o.Package + "|" + o.AdapterVersion + "|" + o.Mode }
	var file struct {
		Results []cfOutcome `json:"results"`
	}
	if b, err := os.ReadFile(path); err == nil {
		_ = json.Unmarshal(b, &file)
	}
	byKey := map[string]cfOutcome{}
	for _, o := range file.Results {
		byKey[key(o)] = o
	}
	for _, o := range l.rows {
		byKey[key(o)] = o
	}
	file.Results = file.Results[:0]
	for _, o := range byKey {
		file.Results = append(file.Results, o)
	}
	rank := map[string]int{}
	for i, m := range cfModes {
		rank[m] = i
	}
	sort.Slice(file.Results, func(i, j int) bool {
		a, b := file.Results[i], file.Results[j]
		if a.AdapterVersion != b.AdapterVersion {
			return versionLess(b.AdapterVersion, a.AdapterVersion)
		}
		if a.Package != b.Package {
			return a.Package < b.Package
		}
		return rank[a.Mode] < rank[b.Mode]
	})
	b, err := json.MarshalIndent(file, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
