// Package sweep builds every published version of an upstream adapter, from
// the npm registry, through the whole pipeline (recipe, runtime, build,
// contract check) and records which versions pass: rung 5 of the
// verification ladder. A recipe's declared Supported range must agree with
// the last sweep, kept in results/<adapter>.json.
//
//	rep, err := sweep.Run(ctx, sweep.Options{
//		Adapter:  "node",
//		Range:    ">=8.0.0",
//		CacheDir: cache,
//		OnResult: func(done, total int, r sweep.Result) { fmt.Println(done, total, r.Version, r.Status) },
//	})
//	for _, r := range rep.Disagreements() {
//		fmt.Printf("%s is declared supported but %s: %s\n", r.Version, r.Status, r.Error)
//	}
package sweep

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/zastro-dev/zastro/assemble"
	"github.com/zastro-dev/zastro/transform"
	"github.com/zastro-dev/zastro/transform/engine"
	"github.com/zastro-dev/zastro/upstream"
)

// DefaultWorkers is how many versions are built at once when Options.Workers
// is 0: building is CPU-bound (parsing, esbuild, goja) with short downloads
// in between, so a few more workers than CI's two cores keep them busy.
const DefaultWorkers = 4

// versionTimeout bounds one version: download, build and contract check.
const versionTimeout = 3 * time.Minute

// Options says what to sweep.
type Options struct {
	Adapter string // "node" or "cloudflare"
	// Range narrows the sweep to the versions in a Masterminds/semver range;
	// "" sweeps every published version. Pre-releases are in a range only
	// when the range names one (">=13.0.0-0"), as in npm.
	Range string
	// Versions, when set, are swept instead of the registry's list (still
	// narrowed by Range). They must be exact versions.
	Versions []string
	Registry string       // npm registry; "" is upstream.RegistryURL of the working folder
	CacheDir string       // tarball cache (by integrity); "" caches nothing
	Client   *http.Client // nil: a client with a 2-minute timeout
	Workers  int          // versions built at once; 0 is DefaultWorkers
	NoVerify bool         // skip the contract check
	// OnResult is called once per version as it finishes, never
	// concurrently: for progress output.
	OnResult func(done, total int, r Result)
}

// Status is the outcome of one version.
type Status string

const (
	// Pass: the package was built and its contract check holds.
	Pass Status = "pass"
	// Fail: the recipe, the build or the contract check rejected the version.
	Fail Status = "fail"
	// Error: the version could not be tried (registry unreachable, bad
	// tarball); it says nothing about the recipe.
	Error Status = "error"
)

// Result is what one version did.
type Result struct {
	Version string `json:"version"`
	Status  Status `json:"status"`
	// Stage is where a failure happened: fetch, transform, compile,
	// assemble or verify.
	Stage string `json:"stage,omitempty"`
	Step  string `json:"step,omitempty"` // the recipe step or check that failed
	File  string `json:"file,omitempty"` // the upstream file it points at
	Line  int    `json:"line,omitempty"`
	// Error is the first problem, without the "node@1.2.3: " prefix.
	Error  string `json:"error,omitempty"`
	Errors int    `json:"errors,omitempty"` // how many problems in all
	// AstroVersion and PackageVersion describe a build that got that far.
	AstroVersion   string `json:"astro_version,omitempty"`
	PackageVersion string `json:"package_version,omitempty"`
	// Changes is how many (file, step) edits the recipe made.
	Changes    int  `json:"changes,omitempty"`
	Deprecated bool `json:"deprecated,omitempty"`

	Elapsed time.Duration `json:"-"`
}

// Report is one sweep of one adapter: what results/<adapter>.json holds.
type Report struct {
	Adapter    string `json:"adapter"`
	Package    string `json:"package"`     // "@astrojs/node"
	NewPackage string `json:"new_package"` // "zastro-websockets-node"
	// Published is how many versions the registry listed; Latest its
	// "latest" dist-tag.
	Published int    `json:"published"`
	Latest    string `json:"latest,omitempty"`
	// Supported is the recipe's declared range at the time of the sweep;
	// Measured the range the results support (see [Measured]).
	Supported string   `json:"supported"`
	Measured  string   `json:"measured"`
	Date      string   `json:"date"` // YYYY-MM-DD of the sweep
	Results   []Result `json:"results"`

	Elapsed time.Duration `json:"-"`
	Workers int           `json:"-"`
}

// Run sweeps one adapter. The error is for problems that stop the whole
// sweep (unknown adapter, bad range, registry unreachable); each version's
// outcome is in Report.Results, in semver order.
func Run(ctx context.Context, opts Options) (*Report, error) {
	start := time.Now()
	ad, err := upstream.LookupAdapter(opts.Adapter)
	if err != nil {
		return nil, err
	}
	recipe, err := transform.RecipeFor(ad.Name)
	if err != nil {
		return nil, err
	}
	var rng *semver.Constraints
	if opts.Range != "" {
		if rng, err = semver.NewConstraint(opts.Range); err != nil {
			return nil, fmt.Errorf("range %q: %v", opts.Range, err)
		}
	}
	client := opts.Client
	if client == nil {
		client = &http.Client{Timeout: 2 * time.Minute}
	}
	// Every version's Load asks for the packument again; answer those from
	// the one fetched here.
	client = memoize(client)
	registry := opts.Registry
	if registry == "" {
		registry = upstream.RegistryURL("", nil)
	}
	pub, err := upstream.ListVersions(ctx, registry, client, ad)
	if err != nil {
		return nil, err
	}
	rep := &Report{
		Adapter: ad.Name, Package: ad.Package, NewPackage: recipe.NewPackage,
		Published: len(pub.Versions), Latest: pub.Latest, Supported: recipe.Supported,
		Date: start.UTC().Format("2006-01-02"),
	}

	candidates := pub.Versions
	if len(opts.Versions) > 0 {
		candidates = nil
		for _, v := range opts.Versions {
			if err := upstream.CheckExactVersion(v); err != nil {
				return nil, err
			}
			candidates = append(candidates, v)
		}
	}
	var todo []string
	for _, v := range candidates {
		if rng != nil {
			sv, err := semver.StrictNewVersion(v)
			if err != nil || !rng.Check(sv) {
				continue
			}
		}
		todo = append(todo, v)
	}
	if len(todo) == 0 {
		return nil, fmt.Errorf("%s: no published version in range %q (published: %d, latest %s)", ad.Package, opts.Range, len(pub.Versions), pub.Latest)
	}

	workers := opts.Workers
	if workers <= 0 {
		workers = DefaultWorkers
	}
	workers = min(workers, len(todo))
	rep.Workers = workers

	jobs := make(chan string)
	results := make([]Result, 0, len(todo))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := range jobs {
				r := one(ctx, ad, v, registry, client, opts)
				_, r.Deprecated = pub.Deprecated[v]
				mu.Lock()
				results = append(results, r)
				if opts.OnResult != nil {
					opts.OnResult(len(results), len(todo), r)
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for _, v := range todo {
		select {
		case jobs <- v:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sweep of %s stopped after %d of %d versions: %w", ad.Package, len(results), len(todo), err)
	}
	SortResults(results)
	rep.Results = results
	rep.Measured = Measured(results)
	rep.Elapsed = time.Since(start)
	return rep, nil
}

// one fetches, builds and checks one version.
func one(ctx context.Context, ad upstream.Adapter, version, registry string, client *http.Client, opts Options) (r Result) {
	start := time.Now()
	r.Version = version
	defer func() { r.Elapsed = time.Since(start) }()
	ctx, cancel := context.WithTimeout(ctx, versionTimeout)
	defer cancel()

	src := &upstream.Npm{Version: version, Registry: registry, CacheDir: opts.CacheDir, Client: client}
	snap, err := src.Load(ctx, ad)
	if err != nil {
		r.Status, r.Stage, r.Error, r.Errors = Error, string(engine.StageFetch), err.Error(), 1
		return r
	}
	res := assemble.Assemble(ctx, assemble.Options{
		Adapter:  ad.Name,
		Source:   loaded{snap},
		NpmCache: opts.CacheDir,
		NoVerify: opts.NoVerify,
	})
	r.AstroVersion = res.Provenance.AstroVersion
	r.PackageVersion = res.Version
	r.Changes = len(res.Changes)
	if !res.Failed() {
		r.Status = Pass
		return r
	}
	r.Status, r.Errors = Fail, len(res.Errors)
	m := res.Errors[0]
	r.Stage = string(m.Stage)
	if r.Stage == "" {
		r.Stage = string(engine.StageAssemble)
	}
	if m.Stage == engine.StageTransform {
		r.Step = m.Step
	}
	if m.Location != nil {
		r.File, r.Line = m.Location.File, m.Location.Line
	}
	r.Error = evalPosition.ReplaceAllString(trimVersion(m.Text, ad, version), "")
	if m.Stage == engine.StageVerify {
		// "verify: <check>: <text>"
		rest := strings.TrimPrefix(r.Error, "verify: ")
		if check, _, ok := strings.Cut(rest, ": "); ok {
			r.Step = check
		}
	}
	return r
}

// evalPosition is a position in the contract check's bundled script
// ("(<eval>:2585:33(35))"): it moves with every runtime change, so results
// leave it out to stay comparable from one sweep to the next.
var evalPosition = regexp.MustCompile(` ?\(<eval>:\d+:\d+(\(\d+\))?\)`)

// trimVersion drops the "node@1.2.3: " and "@astrojs/node@1.2.3: " prefixes
// that build and transform put on every message: the result row names the
// version already.
func trimVersion(text string, ad upstream.Adapter, version string) string {
	for _, p := range []string{ad.Package + "@" + version + ": ", ad.Name + "@" + version + ": "} {
		text = strings.TrimPrefix(text, p)
	}
	return text
}

// loaded is a Source that returns a snapshot already in memory.
type loaded struct{ snap *upstream.Snapshot }

func (l loaded) Load(context.Context, upstream.Adapter) (*upstream.Snapshot, error) {
	if l.snap == nil {
		return nil, errors.New("no snapshot")
	}
	return l.snap, nil
}

// SortResults sorts results by version, oldest first.
func SortResults(rs []Result) {
	sort.SliceStable(rs, func(i, j int) bool { return versionLess(rs[i].Version, rs[j].Version) })
}

func versionLess(a, b string) bool {
	va, errA := semver.StrictNewVersion(a)
	vb, errB := semver.StrictNewVersion(b)
	if errA != nil || errB != nil {
		return a < b
	}
	return va.LessThan(vb)
}
