package sweep

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// Measured returns the range that the results support: the union of the
// runs of consecutive passing release versions (pre-releases are listed but
// not measured), as ">=a <b" for a run that a failure ends and ">=a" for
// the run that reaches the newest release. It is "" when no release passes.
func Measured(rs []Result) string {
	var rel []Result
	for _, r := range rs {
		if v, err := semver.StrictNewVersion(r.Version); err == nil && v.Prerelease() == "" {
			rel = append(rel, r)
		}
	}
	SortResults(rel)
	var parts []string
	start := ""
	for _, r := range rel {
		switch {
		case r.Status == Pass && start == "":
			start = r.Version
		case r.Status != Pass && start != "":
			parts = append(parts, fmt.Sprintf(">=%s <%s", start, r.Version))
			start = ""
		}
	}
	if start != "" {
		parts = append(parts, ">="+start)
	}
	return strings.Join(parts, " || ")
}

// InRange reports whether version v is in the declared range r, with npm's
// rule for pre-releases (in only when the range names one).
func InRange(r, v string) (bool, error) {
	c, err := semver.NewConstraint(r)
	if err != nil {
		return false, fmt.Errorf("range %q: %v", r, err)
	}
	sv, err := semver.StrictNewVersion(v)
	if err != nil {
		return false, fmt.Errorf("version %q: %v", v, err)
	}
	return c.Check(sv), nil
}

// Disagreements returns the results that contradict a declared range: the
// versions inside it that did not pass. An invalid range is an error.
func Disagreements(declared string, rs []Result) ([]Result, error) {
	if declared == "" {
		return nil, nil
	}
	var out []Result
	for _, r := range rs {
		in, err := InRange(declared, r.Version)
		if err != nil {
			return nil, err
		}
		if in && r.Status != Pass {
			out = append(out, r)
		}
	}
	return out, nil
}

// Disagreements returns the results that contradict the report's declared
// Supported range (see the function Disagreements).
func (rep *Report) Disagreements() []Result {
	out, err := Disagreements(rep.Supported, rep.Results)
	if err != nil {
		return []Result{{Status: Error, Error: err.Error()}}
	}
	return out
}

// Stretch is a run of consecutive versions with the same outcome, for the
// summary table.
type Stretch struct {
	First, Last string
	Count       int
	Result      // the outcome (Version is the first version's)
}

// Stretches groups results (in semver order) into runs with the same
// status, stage, step and error.
func Stretches(rs []Result) []Stretch {
	var out []Stretch
	for _, r := range rs {
		if n := len(out); n > 0 && sameOutcome(out[n-1].Result, r) {
			out[n-1].Last = r.Version
			out[n-1].Count++
			continue
		}
		out = append(out, Stretch{First: r.Version, Last: r.Version, Count: 1, Result: r})
	}
	return out
}

func sameOutcome(a, b Result) bool {
	return a.Status == b.Status && a.Stage == b.Stage && a.Step == b.Step && a.File == b.File && a.Error == b.Error
}

// Versions formats a stretch's versions: "9.5.5" or "8.0.0 – 11.1.6 (70)".
func (r Stretch) Versions() string {
	if r.Count == 1 {
		return r.First
	}
	return fmt.Sprintf("%s – %s (%d)", r.First, r.Last, r.Count)
}

// Merge returns old's results updated with rep's (same version: rep wins)
// and rep's header; the Measured range is recomputed. old may be nil.
func Merge(old, rep *Report) *Report {
	out := *rep
	byVersion := map[string]Result{}
	if old != nil && old.Adapter == rep.Adapter {
		for _, r := range old.Results {
			byVersion[r.Version] = r
		}
	}
	for _, r := range rep.Results {
		byVersion[r.Version] = r
	}
	out.Results = make([]Result, 0, len(byVersion))
	for _, r := range byVersion {
		out.Results = append(out.Results, r)
	}
	SortResults(out.Results)
	out.Measured = Measured(out.Results)
	return &out
}

// ResultsFile is where the last sweep of an adapter is kept, under dir
// (the repository's sweep/results).
func ResultsFile(dir, adapter string) string { return filepath.Join(dir, adapter+".json") }

// TableFile is the Markdown table written beside ResultsFile.
func TableFile(dir, adapter string) string { return filepath.Join(dir, adapter+".md") }

// Load reads a results file.
func Load(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rep Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	SortResults(rep.Results)
	return &rep, nil
}

// JSON is the report as the results file holds it.
func (rep *Report) JSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rep); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Save writes the results file and its Markdown table into dir, each
// atomically.
func Save(dir string, rep *Report) error {
	js, err := rep.JSON()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := writeAtomic(ResultsFile(dir, rep.Adapter), js); err != nil {
		return err
	}
	return writeAtomic(TableFile(dir, rep.Adapter), rep.Markdown())
}

func writeAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-")
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}

// Markdown renders the report as the table kept in the repository: the runs
// first, then every version.
func (rep *Report) Markdown() []byte {
	var b bytes.Buffer
	count := map[Status]int{}
	for _, r := range rep.Results {
		count[r.Status]++
	}
	fmt.Fprintf(&b, "# %s: sweep results\n\n", rep.Package)
	fmt.Fprintf(&b, "Written by `zastro sweep %s` on %s: each published version of %s, from the npm\n", rep.Adapter, rep.Date, rep.Package)
	fmt.Fprintf(&b, "registry, transformed by the %s recipe, built into %s and contract-checked.\n", rep.Adapter, rep.NewPackage)
	fmt.Fprintf(&b, "Do not edit: run `zastro sweep %s` to update it.\n\n", rep.Adapter)
	fmt.Fprintf(&b, "- swept: %d of %d published versions (latest %s): %d pass, %d fail, %d error\n",
		len(rep.Results), rep.Published, orDash(rep.Latest), count[Pass], count[Fail], count[Error])
	fmt.Fprintf(&b, "- declared supported range (the recipe's `Supported`): `%s`\n", orDash(rep.Supported))
	fmt.Fprintf(&b, "- measured range (runs of passing releases): `%s`\n\n", orDash(rep.Measured))

	b.WriteString("| versions | result | stage | step or check | file | first problem |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- |\n")
	for _, run := range Stretches(rep.Results) {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", run.Versions(), run.Status,
			cell(run.Stage), cell(run.Step), cell(fileLine(run.Result)), cell(run.Error))
	}
	b.WriteString("\n## Every version\n\n")
	b.WriteString("| version | result | astro | package version | recipe edits |\n")
	b.WriteString("| --- | --- | --- | --- | --- |\n")
	for _, r := range rep.Results {
		status := string(r.Status)
		if r.Deprecated {
			status += " (deprecated)"
		}
		edits := "–"
		if r.Changes > 0 {
			edits = fmt.Sprint(r.Changes)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", r.Version, status, cell(r.AstroVersion), cell(r.PackageVersion), edits)
	}
	return b.Bytes()
}

func fileLine(r Result) string {
	if r.File == "" {
		return ""
	}
	if r.Line > 0 {
		return fmt.Sprintf("%s:%d", r.File, r.Line)
	}
	return r.File
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// cell makes text safe for one Markdown table cell.
func cell(s string) string {
	if s == "" {
		return "–"
	}
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "|", "\\|")
	if r := []rune(s); len(r) > 160 {
		s = string(r[:157]) + "..."
	}
	return s
}
