package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/zastro-dev/zastro/sweep"
	"github.com/zastro-dev/zastro/upstream"
)

// sweepResultsDir is where the repository keeps the last sweep of each adapter.
const sweepResultsDir = "sweep/results"

func runSweep(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "sweep", "sweep [node|cloudflare ...] [--range R] [--workers N] [--results DIR] [--json]",
		`Builds every published version of an adapter from the npm registry (or those
in --range) through the whole pipeline: recipe, runtime, build and contract
check, a few versions at a time. Prints a summary table, checks the recipe's
declared supported range against what passed, and merges the results into
DIR/<adapter>.json and DIR/<adapter>.md (default: ./sweep/results when that
folder exists). Exit status 1 when a version inside the declared range fails
or a version could not be fetched.`)
	rng := fs.String("range", "", "semver range of adapter versions to sweep, e.g. \">=9.0.0 <10.0.0\" (default: every published version)")
	workers := fs.Int("workers", sweep.DefaultWorkers, "versions built at once")
	results := fs.String("results", "", "folder of the results files (default: ./"+sweepResultsDir+" when it exists)")
	noWrite := fs.Bool("no-write", false, "do not write the results files")
	noVerify := fs.Bool("no-verify", false, "skip the contract check")
	asJSON := fs.Bool("json", false, "print the reports as JSON on stdout")
	names, err := parseOrHelp(fs, args)
	if err != nil {
		return err
	}
	names, err = selectAdapters(names)
	if err != nil {
		return err
	}
	if *workers < 1 {
		return usagef("--workers %d: want at least 1", *workers)
	}
	dir := ""
	switch {
	case *noWrite:
	case *results != "":
		dir = abs(e, *results)
	default:
		if st, err := os.Stat(filepath.Join(e.dir, sweepResultsDir)); err == nil && st.IsDir() {
			dir = filepath.Join(e.dir, sweepResultsDir)
		}
	}

	var reports []*sweep.Report
	failed := false
	for _, a := range names {
		bar := newProgressBar(e, a)
		rep, err := sweep.Run(ctx, sweep.Options{
			Adapter:  a,
			Range:    *rng,
			Registry: upstream.RegistryURL(e.dir, e.getenv),
			CacheDir: filepath.Join(cacheDir(e), "npm"),
			Workers:  *workers,
			NoVerify: *noVerify,
			OnResult: bar.update,
		})
		bar.finish()
		if err != nil {
			return err
		}
		merged := rep
		if dir != "" {
			old, err := sweep.Load(sweep.ResultsFile(dir, a))
			if err != nil && !os.IsNotExist(err) {
				return err
			}
			merged = sweep.Merge(old, rep)
			if err := sweep.Save(dir, merged); err != nil {
				return err
			}
		}
		if printSummary(e, rep, merged, dir) {
			failed = true
		}
		reports = append(reports, rep)
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(reports); err != nil {
			return err
		}
	}
	if failed {
		return errReported
	}
	return nil
}

// printSummary prints a sweep's table and verdict on stderr and reports
// whether the sweep failed (a disagreement with the declared range, or a
// version that could not be fetched).
func printSummary(e *env, rep, merged *sweep.Report, dir string) bool {
	w := e.stderr
	count := map[sweep.Status]int{}
	for _, r := range rep.Results {
		count[r.Status]++
	}
	paint := colorizer(e)
	fmt.Fprintf(w, "%s: %d of %d published versions swept in %s (%d workers): %s, %s, %s\n",
		rep.Package, len(rep.Results), rep.Published, rep.Elapsed.Round(100*time.Millisecond), rep.Workers,
		paint(sweep.Pass, fmt.Sprintf("%d pass", count[sweep.Pass])),
		paint(sweep.Fail, fmt.Sprintf("%d fail", count[sweep.Fail])),
		paint(sweep.Error, fmt.Sprintf("%d error", count[sweep.Error])))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  VERSIONS\tRESULT\tSTAGE\tSTEP OR CHECK\tFILE\tFIRST PROBLEM")
	for _, s := range sweep.Stretches(rep.Results) {
		file := s.File
		if file != "" && s.Line > 0 {
			file = fmt.Sprintf("%s:%d", file, s.Line)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", s.Versions(), paint(s.Status, string(s.Status)),
			dash(s.Stage), dash(s.Step), dash(file), dash(clip(s.Error, 90)))
	}
	tw.Flush()

	bad := count[sweep.Error] > 0
	dis := merged.Disagreements()
	switch {
	case merged.Supported == "":
		fmt.Fprintf(w, "declared supported range: none (set Supported in the %s recipe; measured: %s)\n", rep.Adapter, dash(merged.Measured))
	case len(dis) == 0:
		fmt.Fprintf(w, "declared supported range: %s (agrees with the sweep)\n", merged.Supported)
	default:
		bad = true
		fmt.Fprintf(w, "declared supported range: %s %s\n", merged.Supported, paint(sweep.Fail, "DISAGREES with the sweep:"))
		for _, r := range dis {
			fmt.Fprintf(w, "  %s %s: %s\n", r.Version, r.Status, clip(r.Error, 200))
		}
	}
	fmt.Fprintf(w, "measured range:           %s\n", dash(merged.Measured))
	if dir != "" {
		fmt.Fprintf(w, "results: %s, %s\n", rel(e, sweep.ResultsFile(dir, rep.Adapter)), rel(e, sweep.TableFile(dir, rep.Adapter)))
	}
	return bad
}

// progressBar shows the sweep's progress on stderr: a redrawn bar on a
// terminal, one line per version otherwise (CI logs).
type progressBar struct {
	w       io.Writer
	adapter string
	tty     bool
	drawn   bool
	start   time.Time
}

func newProgressBar(e *env, adapter string) *progressBar {
	return &progressBar{w: e.stderr, adapter: adapter, tty: isTerminal(e.stderr), start: time.Now()}
}

func (p *progressBar) update(done, total int, r sweep.Result) {
	if !p.tty {
		line := fmt.Sprintf("sweep %s: %d/%d %s %s (%s)", p.adapter, done, total, r.Version, r.Status, r.Elapsed.Round(10*time.Millisecond))
		if r.Status != sweep.Pass {
			line += ": " + clip(r.Error, 120)
		}
		fmt.Fprintln(p.w, line)
		return
	}
	const width = 30
	n := done * width / total
	fmt.Fprintf(p.w, "\r\033[Ksweep %s [%s%s] %d/%d %s %s", p.adapter, strings.Repeat("#", n), strings.Repeat(".", width-n), done, total, r.Version, r.Status)
	p.drawn = true
}

func (p *progressBar) finish() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// colorizer colours a status on a terminal, unless NO_COLOR is set.
func colorizer(e *env) func(sweep.Status, string) string {
	if e.getenv("NO_COLOR") != "" || !isTerminal(e.stderr) {
		return func(_ sweep.Status, s string) string { return s }
	}
	codes := map[sweep.Status]string{sweep.Pass: "32", sweep.Fail: "31", sweep.Error: "33"}
	return func(st sweep.Status, s string) string { return "\033[" + codes[st] + "m" + s + "\033[0m" }
}

// rel shows a path relative to the working folder when it is inside it.
func rel(e *env, p string) string {
	if r, err := filepath.Rel(e.dir, p); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return p
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func clip(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-3]) + "..."
	}
	return s
}
