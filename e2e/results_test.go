//go:build unix

package e2e

// Result recording of both adapters' suites: one row per project and mode,
// merged over the rows of earlier runs and ordered the same way for both.
//
// Without -update a run writes its rows, merged over the tracked
// e2e/results/<adapter>.json, to a folder outside the source tree (logged),
// so `go test ./...` leaves the checkout as it was. With
// `go test ./e2e/ -update` it writes e2e/results/<adapter>.json itself: the
// file the README's compatibility tables are generated from
// (`go run ./cmd/compat -w node|cloudflare`).

import (
	"cmp"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

var update = flag.Bool("update", false, "write e2e/results/*.json (the source of the README's compatibility tables) instead of a copy outside the source tree")

// outcome is one row of e2e/results/node.json.
type outcome struct {
	Adapter        string             `json:"adapter"` // upstream adapter the package was generated from
	AdapterVersion string             `json:"adapter_version"`
	AstroVersion   string             `json:"astro_version"`
	ViteVersion    string             `json:"vite_version,omitempty"`
	Package        string             `json:"package"` // what the project installed
	PackageVersion string             `json:"package_version,omitempty"`
	BuildFlags     string             `json:"build_flags,omitempty"` // extra `zastro build` flags of the run
	NodeVersion    string             `json:"node_version"`
	Mode           string             `json:"mode"`
	Result         string             `json:"result"` // pass | fail
	Passed         int                `json:"passed"`
	Failed         int                `json:"failed"`
	Skipped        int                `json:"skipped"`
	FailedTests    []string           `json:"failed_tests,omitempty"`
	Error          string             `json:"error,omitempty"`
	Seconds        map[string]float64 `json:"seconds,omitempty"`
	Date           string             `json:"date"`
}

// A Node row is one Astro major's project (its @astrojs/node version) in one
// of modes.
func (o outcome) row() resultRow {
	return resultRow{
		key:     o.Package + "|" + o.AdapterVersion + "|" + o.AstroVersion + "|" + o.Mode,
		version: o.AstroVersion, pkg: o.Package, mode: o.Mode, modes: modes,
	}
}

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

// A Cloudflare row is one adapter generation's project in one of cfModes.
func (o cfOutcome) row() resultRow {
	return resultRow{
		key:     o.Package + "|" + o.AdapterVersion + "|" + o.Mode,
		version: o.AdapterVersion, pkg: o.Package, mode: o.Mode, modes: cfModes,
	}
}

// resultRow is what the log needs of a row: its identity across runs and its
// place in the file.
type resultRow struct {
	key     string
	version string   // newest first
	pkg     string   // then by package name
	mode    string   // then in the order the suite runs its modes
	modes   []string // that order
}

// compareRows orders rows newest version first, then by package, then by
// the position of the mode in the suite's own list of modes (a mode that
// is not in the list comes last), then by key, so that the file's order
// never depends on map iteration.
func compareRows(a, b resultRow) int {
	if c := compareVersions(b.version, a.version); c != 0 {
		return c
	}
	if c := cmp.Compare(a.pkg, b.pkg); c != 0 {
		return c
	}
	rank := func(r resultRow) int {
		if i := slices.Index(r.modes, r.mode); i >= 0 {
			return i
		}
		return len(r.modes)
	}
	if c := cmp.Compare(rank(a), rank(b)); c != 0 {
		return c
	}
	return cmp.Compare(a.key, b.key)
}

type resultLog[T interface{ row() resultRow }] struct {
	mu   sync.Mutex
	rows []T
}

func (l *resultLog[T]) add(o T) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rows = append(l.rows, o)
}

// merge writes this run's rows over the rows of base (rows with the same key
// are replaced, others kept, so a run of one major does not erase the others)
// to dst. base and dst may be the same file.
func (l *resultLog[T]) merge(base, dst string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.rows) == 0 {
		return nil
	}
	var file struct {
		Results []T `json:"results"`
	}
	if b, err := os.ReadFile(base); err == nil {
		_ = json.Unmarshal(b, &file)
	}
	byKey := map[string]T{}
	for _, o := range file.Results {
		byKey[o.row().key] = o
	}
	for _, o := range l.rows {
		byKey[o.row().key] = o
	}
	file.Results = file.Results[:0]
	for _, o := range byKey {
		file.Results = append(file.Results, o)
	}
	slices.SortFunc(file.Results, func(a, b T) int { return compareRows(a.row(), b.row()) })
	b, err := json.MarshalIndent(file, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	tmp := dst + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}

// recordResults writes the log's rows when the test ends: to
// e2e/results/<name> with -update, else to resultsDir()/<name>, merged over
// the tracked file in both cases.
func recordResults[T interface{ row() resultRow }](t *testing.T, repo, name string, log *resultLog[T]) {
	tracked := filepath.Join(repo, "e2e", "results", name)
	dst := tracked
	if !*update {
		dst = filepath.Join(resultsDir(), name)
	}
	t.Cleanup(func() {
		if len(log.rows) == 0 {
			t.Logf("no results to write (%s left as it was)", dst)
			return
		}
		if err := log.merge(tracked, dst); err != nil {
			t.Errorf("writing %s: %v", dst, err)
			return
		}
		if *update {
			t.Logf("results written to %s", dst)
		} else {
			t.Logf("results written to %s (e2e/results/%s is written with -update only)", dst, name)
		}
	})
}

// resultsDir is where runs without -update write their results:
// ZASTRO_E2E_RESULTS_DIR, else e2e-results in ZASTRO_CACHE_DIR, else
// zastro-e2e-results in the temporary folder.
func resultsDir() string {
	if d := os.Getenv("ZASTRO_E2E_RESULTS_DIR"); d != "" {
		return d
	}
	if d := os.Getenv("ZASTRO_CACHE_DIR"); d != "" {
		return filepath.Join(d, "e2e-results")
	}
	return filepath.Join(os.TempDir(), "zastro-e2e-results")
}

// compareVersions compares dotted numeric versions ("7.1.0" < "7.10.0").
func compareVersions(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		x, _ := strconv.Atoi(pa[i])
		y, _ := strconv.Atoi(pb[i])
		if c := cmp.Compare(x, y); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(pa), len(pb))
}

// TestResultOrder checks the order of the rows both suites write: newest
// version first, then every mode in the order its suite runs them (express
// and preview once sorted equal to standalone), and that a merge keeps the
// rows of other versions and replaces the rows of this run.
func TestResultOrder(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "node.json")
	earlier := &resultLog[outcome]{}
	for _, m := range []string{"types", "dev", "standalone"} {
		earlier.add(outcome{Package: zastroAdapter, AstroVersion: "4.16.0", AdapterVersion: "8.3.4", Mode: m, Result: "pass"})
	}
	earlier.add(outcome{Package: zastroAdapter, AstroVersion: "7.0.0", AdapterVersion: "10.0.0", Mode: "dev", Result: "fail"})
	if err := earlier.merge(file, file); err != nil {
		t.Fatal(err)
	}
	run := &resultLog[outcome]{}
	for _, m := range []string{"types", "preview", "dev", "express", "middleware", "standalone"} {
		run.add(outcome{Package: zastroAdapter, AstroVersion: "7.0.0", AdapterVersion: "10.0.0", Mode: m, Result: "pass"})
	}
	run.add(outcome{Package: upstreamAdapter, AstroVersion: "7.0.0", AdapterVersion: "10.0.0", Mode: "standalone", Result: "fail"})
	out := filepath.Join(dir, "out", "node.json")
	if err := run.merge(file, out); err != nil {
		t.Fatal(err)
	}
	var got struct{ Results []outcome }
	b, err := os.ReadFile(out)
	if err == nil {
		err = json.Unmarshal(b, &got)
	}
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, o := range got.Results {
		rows = append(rows, o.AstroVersion+" "+o.Package+" "+o.Mode+" "+o.Result)
	}
	want := []string{
		"7.0.0 @astrojs/node standalone fail",
		"7.0.0 zastro-websockets-node standalone pass",
		"7.0.0 zastro-websockets-node middleware pass",
		"7.0.0 zastro-websockets-node express pass",
		"7.0.0 zastro-websockets-node preview pass",
		"7.0.0 zastro-websockets-node dev pass",
		"7.0.0 zastro-websockets-node types pass",
		"4.16.0 zastro-websockets-node standalone pass",
		"4.16.0 zastro-websockets-node dev pass",
		"4.16.0 zastro-websockets-node types pass",
	}
	if !slices.Equal(rows, want) {
		t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}

	cf := []resultRow{
		cfOutcome{Package: cfZastroAdapter, AdapterVersion: "13.1.0", Mode: "types"}.row(),
		cfOutcome{Package: cfZastroAdapter, AdapterVersion: "13.1.0", Mode: "build"}.row(),
		cfOutcome{Package: cfZastroAdapter, AdapterVersion: "9.2.0", Mode: "dev"}.row(),
		cfOutcome{Package: cfZastroAdapter, AdapterVersion: "13.1.0", Mode: "dev"}.row(),
	}
	slices.SortFunc(cf, compareRows)
	var cfRows []string
	for _, r := range cf {
		cfRows = append(cfRows, r.version+" "+r.mode)
	}
	if want := []string{"13.1.0 build", "13.1.0 dev", "13.1.0 types", "9.2.0 dev"}; !slices.Equal(cfRows, want) {
		t.Errorf("cloudflare rows %v, want %v", cfRows, want)
	}
}
