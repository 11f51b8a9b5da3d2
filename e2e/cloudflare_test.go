//go:build unix

package e2e

// TestCloudflareE2E proves zastro-websockets-cloudflare with real Astro
// projects from npm, real workerd (wrangler from npm) and real WebSocket
// clients. For every adapter generation with a package.json template in
// testdata/e2e/cloudflare-app (package.cf<N>.json), it generates the package
// from that @astrojs/cloudflare version, installs the project and runs
// testdata/e2e/client/cloudflare-contract.test.mjs (and the rooms suite,
// cloudflare-rooms.test.mjs: Durable Objects through toRoom) against:
//
//   - build: `astro build`, then the output served by `wrangler dev` on
//     127.0.0.1 (workerd);
//   - dev:   `astro dev` (Node beside a platform proxy up to 12.x, workerd
//     through @cloudflare/vite-plugin from 13.x);
//   - types: `astro sync` and `tsc --noEmit` over the routes and the
//     contract-types files.
//
// Subtests are TestCloudflareE2E/cf14/build etc. No account, no login, no
// telemetry: wrangler and miniflare are told not to send metrics, error
// reports or fetch Request.cf data (the miniflare of wrangler 3 tries anyway,
// fails here and falls back with a warning; no check depends on it), and the
// only traffic is the registry (installs) and 127.0.0.1.
//
// Environment (besides those of TestNodeE2E that apply: ZASTRO_E2E_KEEP,
// ZASTRO_E2E_BUILD_FLAGS):
//
//	ZASTRO_E2E_ADAPTER=upstream  install plain @astrojs/cloudflare (proves the
//	                             harness; the WebSocket checks then fail fast)
//	ZASTRO_E2E_CF_MAJORS=13,14   only these adapter majors
//	ZASTRO_E2E_CF_MODES=build    only these modes (build, dev, types)
//	ZASTRO_E2E_CF_PARALLEL=2     majors run at once (default 2: CI has 2 cores)
//
// Outcomes are merged over e2e/results/cloudflare.json
// (cloudflare-upstream.json for upstream runs) and written outside the source
// tree, or to that file with -update: the compatibility table of the README is
// filled from it (results_test.go).

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	cfUpstreamAdapter = "@astrojs/cloudflare"
	cfZastroAdapter   = "zastro-websockets-cloudflare"
	// cfReadyTimeout bounds a server's start: `astro dev` of the Vite-plugin
	// generations optimizes dependencies and boots workerd first (about 25 s
	// on two cores).
	cfReadyTimeout = 3 * time.Minute
)

// cfModes, in the order they run.
var cfModes = []string{"build", "dev", "types"}

func TestCloudflareE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: real npm installs, Astro builds, wrangler and workerd; skipped with -short")
	}
	repo := repoRoot(t)
	appSrc := filepath.Join(repo, "testdata", "e2e", "cloudflare-app")
	suite := filepath.Join(repo, "testdata", "e2e", "client", "cloudflare-contract.test.mjs")
	roomsSuite := filepath.Join(repo, "testdata", "e2e", "client", "cloudflare-rooms.test.mjs")
	useUpstream := os.Getenv("ZASTRO_E2E_ADAPTER") == "upstream"

	gens := loadCloudflareGenerations(t, appSrc)
	if len(gens) == 0 {
		t.Fatalf("no package.cf<N>.json templates in %s (or none selected by ZASTRO_E2E_CF_MAJORS)", appSrc)
	}
	runModes := selectFrom(t, "ZASTRO_E2E_CF_MODES", cfModes)

	tc := prepareToolchain(t, repo, useUpstream)
	results := &resultLog[cfOutcome]{}
	recordResults(t, repo, cloudflareAdapter.resultsName(useUpstream), results)

	var names []string
	for _, g := range gens {
		names = append(names, g.Name)
	}
	eachProject(t, names, envInt("ZASTRO_E2E_CF_PARALLEL", 2), func(t *testing.T, i int) {
		r := &cfRun{
			cfGeneration: gens[i], repo: repo, appSrc: appSrc, suite: suite, roomsSuite: roomsSuite,
			nodeBin: tc.nodeBin, nodeVersion: tc.nodeVersion, zastroBin: tc.zastroBin,
			upstream: useUpstream, results: results, seconds: map[string]float64{},
		}
		r.run(t, runModes)
	})
}

// cfRun is one adapter generation's project: generated package, install, build.
type cfRun struct {
	cfGeneration
	repo, appSrc, suite  string
	roomsSuite           string
	nodeBin, nodeVersion string
	zastroBin            string
	upstream             bool
	results              *resultLog[cfOutcome]

	env             []string
	work, app       string
	pkgName         string
	pkgVersion      string
	wranglerVersion string
	viteVersion     string
	seconds         map[string]float64 // per-generation steps: zastro_build, npm_install, astro_build
	setupErr        error
	buildErr        error
}

func (r *cfRun) run(t *testing.T, runModes []string) {
	r.work = workDir(t, "zastro-e2e-"+r.Name+"-")
	r.app = filepath.Join(r.work, "app")
	r.env = cloudflareEnv(toolEnv(filepath.Dir(r.nodeBin)), r.work)
	t.Logf("%s: astro %s, @astrojs/cloudflare %s (%s generation), work dir %s", r.Name, r.AstroVersion, r.AdapterVersion, r.Variant, r.work)

	r.setupErr = r.setup(t)
	// astro.config.mjs imports the adapter from ZASTRO_ADAPTER.
	r.env = append(r.env, "ZASTRO_ADAPTER="+r.pkgName)
	if r.setupErr != nil {
		t.Errorf("%s: setup: %v", r.Name, r.setupErr)
	} else if slices.Contains(runModes, "build") {
		start := time.Now()
		out, err := runCmd(context.Background(), astroBuildTimeout, r.app, r.env, r.nodeBin, "node_modules/.bin/astro", "build")
		r.seconds["astro_build"] = secondsSince(start)
		if err != nil {
			r.buildErr = fmt.Errorf("astro build: %w\n%s", err, tail(out, 80))
		} else {
			t.Logf("%s: astro build %.1fs", r.Name, r.seconds["astro_build"])
		}
	}
	for _, mode := range runModes {
		t.Run(mode, func(t *testing.T) { r.runMode(t, mode) })
	}
}

// setup generates the package (zastro) and installs the project.
func (r *cfRun) setup(t *testing.T) error {
	dep := r.AdapterVersion
	r.pkgName, r.pkgVersion = cfUpstreamAdapter, r.AdapterVersion
	if !r.upstream {
		start := time.Now()
		pkgDir, version, err := cloudflareAdapter.generate(t, r.repo, r.env, r.zastroBin, r.AdapterVersion, filepath.Join(r.work, "pkg"), strings.Fields(os.Getenv("ZASTRO_E2E_BUILD_FLAGS")))
		r.seconds["zastro_build"] = secondsSince(start)
		if err != nil {
			return err
		}
		r.pkgName, r.pkgVersion, dep = cfZastroAdapter, version, "file:"+pkgDir
		t.Logf("%s: generated %s@%s (%.1fs)", r.Name, r.pkgName, version, r.seconds["zastro_build"])
	}
	if err := copyCloudflareApp(r.appSrc, r.app, r.Variant, r.Name, !r.upstream); err != nil {
		return fmt.Errorf("copying the app: %w", err)
	}
	if err := cloudflareAdapter.writePackageJSON(r.Template, filepath.Join(r.app, "package.json"), r.pkgName, dep); err != nil {
		return err
	}
	start := time.Now()
	err := install(t, r.app, r.env, !r.upstream, r.AstroVersion)
	r.seconds["npm_install"] = secondsSince(start)
	if err != nil {
		return err
	}
	if v, err := installedVersion(r.app, "wrangler"); err != nil {
		return fmt.Errorf("wrangler is not installed in the project: %v", err)
	} else {
		r.wranglerVersion = v
	}
	r.viteVersion, _ = installedVersion(r.app, "vite")
	t.Logf("%s: npm install %.1fs (wrangler %s, vite %s)", r.Name, r.seconds["npm_install"], r.wranglerVersion, r.viteVersion)
	return nil
}

func (r *cfRun) runMode(t *testing.T, mode string) {
	res := cfOutcome{
		Adapter: cfUpstreamAdapter, AdapterVersion: r.AdapterVersion, AstroVersion: r.AstroVersion,
		Generation: r.Variant, Package: r.pkgName, PackageVersion: r.pkgVersion,
		WranglerVersion: r.wranglerVersion, ViteVersion: r.viteVersion, NodeVersion: r.nodeVersion,
		Mode: mode, Runtime: r.runtimeOf(mode), Result: "fail",
		Seconds: map[string]float64{}, Date: time.Now().UTC().Format(time.RFC3339),
	}
	for k, v := range r.seconds {
		if k != "astro_build" || mode == "build" {
			res.Seconds[k] = v
		}
	}
	defer func() {
		if !t.Failed() {
			res.Result = "pass"
		}
		r.results.add(res)
	}()
	fail := func(err error) {
		res.Error = firstLine(err.Error())
		t.Fatal(err)
	}
	if r.setupErr != nil {
		fail(fmt.Errorf("setup failed (see %s): %s", r.Name, firstLine(r.setupErr.Error())))
	}
	if mode == "types" {
		if err := r.checkTypes(t, &res); err != nil {
			fail(err)
		}
		return
	}
	if mode == "build" && r.buildErr != nil {
		fail(r.buildErr)
	}

	port, err := lowPort()
	if err != nil {
		fail(err)
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	var args []string
	switch mode {
	case "build":
		inspector, err := lowPort()
		if err != nil {
			fail(err)
		}
		args = []string{"node_modules/.bin/wrangler", "dev", "--ip", "127.0.0.1", "--port", strconv.Itoa(port), "--inspector-port", strconv.Itoa(inspector)}
	case "dev":
		args = []string{"node_modules/.bin/astro", "dev", "--host", "127.0.0.1", "--port", strconv.Itoa(port)}
	}
	logPath, ready, err := serveMode(t, r.Name, mode, r.work, r.app, r.env, r.nodeBin, args, base, cfReadyTimeout)
	if err != nil {
		fail(err)
	}
	res.Seconds["ready"] = ready

	suiteEnv := append(slices.Clone(r.env), "ZASTRO_CF_GENERATION="+r.Variant)
	run, err := clientSuite(t, "client suite", r.Name+"/"+mode, suiteEnv, r.repo, r.nodeBin, r.suite, base, mode, logPath, true)
	sum := run.summary
	res.Seconds["suite"] = run.seconds
	res.Passed, res.Failed, res.Skipped, res.FailedTests = sum.pass, sum.fail, sum.skipped, sum.failedNames
	if err != nil {
		fail(err)
	}

	// Rooms in Durable Objects, on the same server: the built worker of every
	// generation, and `astro dev` where it runs workerd (13.x on). Plain
	// upstream has no rooms.
	if r.upstream || (mode == "dev" && r.Variant == "runtime") {
		return
	}
	rooms, err := clientSuite(t, "rooms suite", r.Name+"/"+mode, suiteEnv, r.repo, r.nodeBin, r.roomsSuite, base, mode, logPath, true)
	rsum := rooms.summary
	res.Seconds["rooms_suite"] = rooms.seconds
	res.RoomsPassed, res.RoomsFailed = rsum.pass, rsum.fail+rsum.skipped
	res.FailedTests = append(res.FailedTests, rsum.failedNames...)
	if err != nil {
		fail(err)
	}
}

// runtimeOf says where a mode runs the app: the compatibility table shows it.
func (r *cfRun) runtimeOf(mode string) string {
	switch {
	case mode == "build":
		return "workerd (wrangler dev)"
	case mode == "dev" && r.Variant == "runtime":
		return "node (platform proxy)"
	case mode == "dev":
		return "workerd (@cloudflare/vite-plugin)"
	}
	return "tsc"
}

// checkTypes is the type half of the contract: App.Locals has both members
// beside upstream's own.
func (r *cfRun) checkTypes(t *testing.T, res *cfOutcome) error {
	types, err := checkTypes(t, r.Name, r.app, r.env, r.nodeBin)
	res.Seconds["astro_sync"] = types.syncSeconds
	res.Seconds["tsc"] = types.tscSeconds
	res.Failed = len(types.errors)
	res.FailedTests = types.errors[:min(len(types.errors), 20)]
	if err != nil {
		return err
	}
	res.Passed = 1
	return nil
}
