//go:build unix

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	upstreamAdapter = "@astrojs/node"
	zastroAdapter   = "zastro-websockets-node"

	npmInstallTimeout = 6 * time.Minute
	zastroBuildTime   = 5 * time.Minute
	astroBuildTimeout = 4 * time.Minute
	readyTimeout      = 90 * time.Second
	suiteTimeout      = 5 * time.Minute
	stopGrace         = 5 * time.Second
)

// modes are the three hosts of the adapter, then "types": `astro sync` and
// `tsc --noEmit` over the routes and src/lib/contract-types.ts. Run in this
// order.
var modes = []string{"standalone", "middleware", "express", "preview", "dev", "types"}

// major is one row of the compatibility table, read from a package.json template.
type major struct {
	Name           string // "astro7"
	Template       string // absolute path of package.astro7.json
	AstroVersion   string
	AdapterVersion string // @astrojs/node version the zastro package is built from
}

func TestNodeE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: real npm installs, Astro builds and servers; skipped with -short")
	}
	repo := repoRoot(t)
	appSrc := filepath.Join(repo, "testdata", "e2e", "node-app")
	suite := filepath.Join(repo, "testdata", "e2e", "client", "node-contract.test.mjs")

	useUpstream := os.Getenv("ZASTRO_E2E_ADAPTER") == "upstream"
	majors := loadMajors(t, appSrc)
	if len(majors) == 0 {
		t.Fatalf("no package.astro<N>.json templates in %s (or none selected by ZASTRO_E2E_MAJORS)", appSrc)
	}
	runModes := selectFrom(t, "ZASTRO_E2E_MODES", modes)

	for _, tool := range []string{"bash", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the e2e needs %s on PATH: %v", tool, err)
		}
	}
	tc := prepareToolchain(t, repo, useUpstream)
	results := &resultLog[outcome]{}
	recordResults(t, repo, nodeAdapter.resultsName(useUpstream), results)

	if deadline, ok := t.Deadline(); ok && time.Until(deadline) < 15*time.Minute {
		t.Logf("warning: %s left before go test's -timeout; all majors take about 5-10 minutes on 2 cores (use -timeout 30m)", time.Until(deadline).Round(time.Second))
	}
	var names []string
	for _, m := range majors {
		names = append(names, m.Name)
	}
	eachProject(t, names, envInt("ZASTRO_E2E_PARALLEL", 2), func(t *testing.T, i int) {
		r := &majorRun{
			major: majors[i], repo: repo, appSrc: appSrc, suite: suite,
			nodeBin: tc.nodeBin, nodeVersion: tc.nodeVersion, env: tc.env,
			zastroBin: tc.zastroBin, upstream: useUpstream, results: results,
			seconds: map[string]float64{},
		}
		r.run(t, runModes)
	})
}

// majorRun holds one major's project: generated package, install, builds.
type majorRun struct {
	major
	repo, appSrc, suite string
	nodeBin             string
	nodeVersion         string
	env                 []string
	zastroBin           string
	upstream            bool
	results             *resultLog[outcome]

	work         string
	app          string
	pkgName      string
	pkgVersion   string
	viteVersion  string
	seconds      map[string]float64 // per-major steps: zastro_build, npm_install
	setupErr     error
	buildErr     map[string]error
	buildSeconds map[string]float64
	outDirs      map[string]string
}

func (r *majorRun) run(t *testing.T, runModes []string) {
	r.work = workDir(t, "zastro-e2e-"+r.Name+"-")
	r.app = filepath.Join(r.work, "app")
	t.Logf("%s: astro %s, @astrojs/node %s, work dir %s", r.Name, r.AstroVersion, r.AdapterVersion, r.work)

	r.setupErr = r.setup(t)
	if r.setupErr != nil {
		t.Errorf("%s: setup: %v", r.Name, r.setupErr)
	} else {
		r.buildAll(t, runModes)
	}
	for _, mode := range runModes {
		t.Run(mode, func(t *testing.T) { r.runMode(t, mode) })
	}
}

// setup generates the package (zastro) and installs the project.
func (r *majorRun) setup(t *testing.T) error {
	dep := r.AdapterVersion
	r.pkgName = upstreamAdapter
	r.pkgVersion = r.AdapterVersion
	if !r.upstream {
		start := time.Now()
		pkgDir, version, err := nodeAdapter.generate(t, r.repo, r.env, r.zastroBin, r.AdapterVersion, filepath.Join(r.work, "pkg"), strings.Fields(buildFlags(false)))
		r.seconds["zastro_build"] = secondsSince(start)
		if err != nil {
			return err
		}
		r.pkgName, r.pkgVersion, dep = zastroAdapter, version, "file:"+pkgDir
		t.Logf("%s: generated %s@%s (%.1fs)", r.Name, r.pkgName, version, r.seconds["zastro_build"])
	}

	if err := copyApp(r.appSrc, r.app); err != nil {
		return fmt.Errorf("copying the app: %w", err)
	}
	if err := nodeAdapter.writePackageJSON(r.Template, filepath.Join(r.app, "package.json"), r.pkgName, dep); err != nil {
		return err
	}

	start := time.Now()
	err := install(t, r.app, r.env, !r.upstream, r.AstroVersion)
	r.seconds["npm_install"] = secondsSince(start)
	if err != nil {
		return err
	}
	r.viteVersion, _ = installedVersion(r.app, "vite")
	t.Logf("%s: npm install %.1fs (vite %s)", r.Name, r.seconds["npm_install"], r.viteVersion)
	return nil
}

// buildAll runs `astro build` once per adapter mode that a selected host needs.
func (r *majorRun) buildAll(t *testing.T, runModes []string) {
	r.buildErr = map[string]error{}
	r.buildSeconds = map[string]float64{}
	r.outDirs = map[string]string{"standalone": "dist", "middleware": "dist-middleware"}
	for _, mode := range []string{"standalone", "middleware"} {
		// `astro preview` serves the standalone build; the Express host the middleware one.
		if !slices.Contains(runModes, mode) && !(mode == "standalone" && slices.Contains(runModes, "preview")) && !(mode == "middleware" && slices.Contains(runModes, "express")) {
			continue
		}
		start := time.Now()
		env := append(slices.Clone(r.env), "ZASTRO_ADAPTER="+r.pkgName, "ZASTRO_MODE="+mode, "ZASTRO_OUT_DIR=./"+r.outDirs[mode])
		out, err := runCmd(context.Background(), astroBuildTimeout, r.app, env, r.nodeBin, "node_modules/.bin/astro", "build")
		r.buildSeconds[mode] = secondsSince(start)
		if err != nil {
			r.buildErr[mode] = fmt.Errorf("astro build (mode %s): %w\n%s", mode, err, tail(out, 80))
			continue
		}
		t.Logf("%s: astro build, mode %s: %.1fs", r.Name, mode, r.buildSeconds[mode])
	}
}

func (r *majorRun) runMode(t *testing.T, mode string) {
	res := outcome{
		Adapter: upstreamAdapter, AdapterVersion: r.AdapterVersion, AstroVersion: r.AstroVersion,
		ViteVersion: r.viteVersion, Package: r.pkgName, PackageVersion: r.pkgVersion,
		BuildFlags:  buildFlags(r.upstream),
		NodeVersion: r.nodeVersion, Mode: mode, Result: "fail",
		Seconds: map[string]float64{}, Date: time.Now().UTC().Format(time.RFC3339),
	}
	for k, v := range r.seconds {
		res.Seconds[k] = v
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
	buildMode := mode
	switch mode {
	case "preview":
		buildMode = "standalone"
	case "express":
		buildMode = "middleware"
	}
	if err := r.buildErr[buildMode]; err != nil {
		fail(err)
	}
	if s, ok := r.buildSeconds[mode]; ok {
		res.Seconds["astro_build"] = s
	}
	if mode == "types" {
		if err := r.checkTypes(t, &res); err != nil {
			fail(err)
		}
		return
	}

	port, err := freePort()
	if err != nil {
		fail(err)
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	// `astro dev` loads astro.config.mjs itself: the adapter's mode is then
	// "standalone" (the suite is still told "dev").
	adapterMode := mode
	if mode == "dev" || mode == "preview" {
		adapterMode = "standalone"
	}
	if mode == "express" {
		adapterMode = "middleware"
	}
	env := append(slices.Clone(r.env), "HOST=127.0.0.1", "PORT="+strconv.Itoa(port), "ZASTRO_ADAPTER="+r.pkgName, "ZASTRO_MODE="+adapterMode)
	var args []string
	switch mode {
	case "standalone":
		entry, err := findServerEntry(filepath.Join(r.app, r.outDirs[mode]))
		if err != nil {
			fail(err)
		}
		args = []string{entry}
	case "middleware":
		entry, err := findServerEntry(filepath.Join(r.app, r.outDirs[mode]))
		if err != nil {
			fail(err)
		}
		args = []string{"server.mjs"}
		env = append(env, "ZASTRO_ENTRY="+entry)
	case "express":
		entry, err := findServerEntry(filepath.Join(r.app, r.outDirs["middleware"]))
		if err != nil {
			fail(err)
		}
		args = []string{"server-express.mjs"}
		env = append(env, "ZASTRO_ENTRY="+entry)
	case "dev":
		args = []string{"node_modules/.bin/astro", "dev", "--host", "127.0.0.1", "--port", strconv.Itoa(port)}
	case "preview":
		// The standalone build, served by the adapter's preview entrypoint.
		env = append(env, "ZASTRO_OUT_DIR=./"+r.outDirs["standalone"])
		args = []string{"node_modules/.bin/astro", "preview", "--host", "127.0.0.1", "--port", strconv.Itoa(port)}
	}

	logPath, ready, err := serveMode(t, r.Name, mode, r.work, r.app, env, r.nodeBin, args, base, readyTimeout)
	if err != nil {
		fail(err)
	}
	res.Seconds["ready"] = ready

	run, err := clientSuite(t, "client suite", r.Name+"/"+mode, r.env, r.repo, r.nodeBin, r.suite, base, mode, logPath, false)
	sum := run.summary
	res.Seconds["suite"] = run.seconds
	res.Passed, res.Failed, res.Skipped, res.FailedTests = sum.pass, sum.fail, sum.skipped, sum.failedNames
	if err != nil {
		fail(err)
	}
}

// typesConfig is the astro.config a user writes: a static import, so that
// tsc sees the package's types. Only `astro sync` reads it.
const typesConfig = `import { defineConfig } from "astro/config";
import node from %q;

export default defineConfig({ output: "server", adapter: node({ mode: "standalone" }) });
`

// checkTypes is the type half of the contract, with the package imported
// statically in the config.
func (r *majorRun) checkTypes(t *testing.T, res *outcome) error {
	const cfg = "astro.config.types.mjs"
	if err := os.WriteFile(filepath.Join(r.app, cfg), fmt.Appendf(nil, typesConfig, r.pkgName), 0o644); err != nil {
		return err
	}
	types, err := checkTypes(t, r.Name, r.app, r.env, r.nodeBin, "--config", cfg)
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

func buildFlags(upstream bool) string {
	if upstream {
		return ""
	}
	return strings.Join(strings.Fields(os.Getenv("ZASTRO_E2E_BUILD_FLAGS")), " ")
}

// ---------------------------------------------------------------- majors, app

var templateName = regexp.MustCompile(`^package\.astro(\d+)\.json$`)

func loadMajors(t *testing.T, appSrc string) []major {
	var out []major
	numbers, paths := packageTemplates(t, appSrc, templateName, "ZASTRO_E2E_MAJORS", "astro")
	for i, path := range paths {
		astro, adapter := nodeAdapter.pinnedVersions(t, path)
		out = append(out, major{Name: fmt.Sprintf("astro%d", numbers[i]), Template: path, AstroVersion: astro, AdapterVersion: adapter})
	}
	return out
}

// findServerEntry finds server/entry.mjs in a build's outDir. Astro 4 puts the
// server build of a non-default outDir under <outDir>/dist/server (its
// build.server default is "./dist/server/"), later majors under <outDir>/server.
func findServerEntry(outDir string) (string, error) {
	for _, rel := range []string{"server/entry.mjs", "dist/server/entry.mjs"} {
		p := filepath.Join(outDir, filepath.FromSlash(rel))
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no server/entry.mjs under %s", outDir)
}
