// Package e2e proves the generated packages with real Astro projects from npm,
// real Node and real WebSocket clients (rung 4 of the verification ladder in
// DESIGN.md).
//
// TestNodeE2E runs, for every Astro major with a package.json template in
// testdata/e2e/node-app (package.astro<N>.json), the client suite
// testdata/e2e/client/node-contract.test.mjs against three hosts of one
// project: the standalone server, a node:http server in middleware mode
// (server.mjs) and `astro dev`. Subtests are TestNodeE2E/astro7/standalone etc.
//
// It needs npm and the npm registry (the shared ~/.npm cache makes reruns
// mostly offline) and a Node >= 22.12, which scripts/node.sh provides. It takes
// minutes: run it with a generous -timeout (go test -timeout 30m ./...); -short
// skips it for the quick developer loop.
//
// Environment:
//
//	ZASTRO_E2E_ADAPTER=upstream  install plain @astrojs/node instead of building
//	                             zastro-websockets-node (proves the harness itself;
//	                             the WebSocket checks then fail fast, by design)
//	ZASTRO_E2E_MAJORS=4,7        only these majors
//	ZASTRO_E2E_MODES=dev         only these modes (standalone, middleware, dev)
//	ZASTRO_E2E_PARALLEL=2        majors run at once (default 2: CI has 2 cores)
//	ZASTRO_E2E_KEEP=1            keep the work folders (their paths are logged)
//
// The outcome of each major/mode is written to e2e/results/node.json
// (node-upstream.json for upstream runs), merged with earlier runs.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	upstreamAdapter = "@astrojs/node"
	zastroAdapter   = "zastro-websockets-node"

	npmInstallTimeout = 6 * time.Minute
	npmInstallTries   = 3
	zastroBuildTime   = 5 * time.Minute
	astroBuildTimeout = 4 * time.Minute
	readyTimeout      = 90 * time.Second
	suiteTimeout      = 5 * time.Minute
	stopGrace         = 5 * time.Second
)

var modes = []string{"standalone", "middleware", "dev"}

// major is one row of the compatibility table, read from a package.json template.
type major struct {
	Name           string // "astro7"
	Template       string // absolute path of package.astro7.json
	AstroVersion   string
	AdapterVersion string // @astrojs/node version the zastro package is built from
}

// outcome is one row of e2e/results/node.json.
type outcome struct {
	Adapter        string             `json:"adapter"` // upstream adapter the package was generated from
	AdapterVersion string             `json:"adapter_version"`
	AstroVersion   string             `json:"astro_version"`
	ViteVersion    string             `json:"vite_version,omitempty"`
	Package        string             `json:"package"` // what the project installed
	PackageVersion string             `json:"package_version,omitempty"`
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
	runModes := selectModes(t)

	for _, tool := range []string{"bash", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the e2e needs %s on PATH: %v", tool, err)
		}
	}
	start := time.Now()
	nodeBin := findNode(t, repo)
	env := toolEnv(filepath.Dir(nodeBin))
	nodeVersion := strings.TrimSpace(string(mustOutput(t, env, repo, nodeBin, "--version")))
	t.Logf("node %s at %s (%.1fs)", nodeVersion, nodeBin, time.Since(start).Seconds())

	var zastroBin string
	if !useUpstream {
		start := time.Now()
		zastroBin = filepath.Join(t.TempDir(), "zastro")
		if runtime.GOOS == "windows" {
			zastroBin += ".exe"
		}
		if out, err := runCmd(context.Background(), 5*time.Minute, repo, os.Environ(), "go", "build", "-o", zastroBin, "./cmd/zastro"); err != nil {
			t.Fatalf("building the zastro CLI (go build ./cmd/zastro): %v\n%s", err, out)
		}
		t.Logf("built zastro CLI (%.1fs)", time.Since(start).Seconds())
	}

	results := &resultLog{}
	resultsFile := filepath.Join(repo, "e2e", "results", "node.json")
	if useUpstream {
		resultsFile = filepath.Join(repo, "e2e", "results", "node-upstream.json")
	}
	t.Cleanup(func() {
		if err := results.merge(resultsFile); err != nil {
			t.Errorf("writing %s: %v", resultsFile, err)
		} else {
			t.Logf("results written to %s", resultsFile)
		}
	})

	parallel := envInt("ZASTRO_E2E_PARALLEL", 2)
	slots := make(chan struct{}, max(parallel, 1))

	for _, m := range majors {
		t.Run(m.Name, func(t *testing.T) {
			t.Parallel()
			slots <- struct{}{}
			defer func() { <-slots }()

			r := &majorRun{
				major: m, repo: repo, appSrc: appSrc, suite: suite,
				nodeBin: nodeBin, nodeVersion: nodeVersion, env: env,
				zastroBin: zastroBin, upstream: useUpstream, results: results,
				seconds: map[string]float64{},
			}
			r.run(t, runModes)
		})
	}
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
	results             *resultLog

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
	pkgDep := fmt.Sprintf("%q", r.AdapterVersion)
	r.pkgName = upstreamAdapter
	r.pkgVersion = r.AdapterVersion
	if !r.upstream {
		start := time.Now()
		out := filepath.Join(r.work, "pkg")
		var log []byte
		var err error
		for try := 1; try <= 2; try++ {
			log, err = runCmd(context.Background(), zastroBuildTime, r.repo, r.env, r.zastroBin,
				"build", "node", "--from", "npm", "--version", r.AdapterVersion, "--out", out)
			if err == nil {
				break
			}
			t.Logf("zastro build node %s, try %d: %v", r.AdapterVersion, try, err)
		}
		r.seconds["zastro_build"] = secondsSince(start)
		if err != nil {
			return fmt.Errorf("zastro build node --from npm --version %s: %w\n%s", r.AdapterVersion, err, log)
		}
		pkgDir := filepath.Join(out, "node")
		name, version, err := readPackageIdentity(filepath.Join(pkgDir, "package.json"))
		if err != nil {
			return fmt.Errorf("generated package: %w\n%s", err, log)
		}
		if name != zastroAdapter {
			return fmt.Errorf("generated package %s is named %q, want %q", pkgDir, name, zastroAdapter)
		}
		r.pkgName, r.pkgVersion = name, version
		pkgDep = fmt.Sprintf("%q", "file:"+pkgDir)
		t.Logf("%s: generated %s@%s (%.1fs)", r.Name, name, version, r.seconds["zastro_build"])
	}

	if err := copyApp(r.appSrc, r.app); err != nil {
		return fmt.Errorf("copying the app: %w", err)
	}
	if err := writePackageJSON(r.Template, filepath.Join(r.app, "package.json"), r.pkgName, pkgDep); err != nil {
		return err
	}

	start := time.Now()
	args := []string{"install", "--no-audit", "--no-fund", "--prefer-offline", "--no-package-lock"}
	if !r.upstream {
		// Copy the file: dependency in as a real folder (as from a tarball), so
		// its peer `astro` resolves from the project's node_modules.
		args = append(args, "--install-links")
	}
	var out []byte
	var err error
	for try := 1; try <= npmInstallTries; try++ {
		out, err = runCmd(context.Background(), npmInstallTimeout, r.app, r.env, "npm", args...)
		if err == nil {
			break
		}
		t.Logf("%s: npm install try %d/%d failed: %v\n%s", r.Name, try, npmInstallTries, err, tail(out, 30))
		if try < npmInstallTries {
			time.Sleep(time.Duration(try*5) * time.Second) // back off before retrying the registry
		}
	}
	r.seconds["npm_install"] = secondsSince(start)
	if err != nil {
		return fmt.Errorf("npm %s: %w\n%s", strings.Join(args, " "), err, tail(out, 60))
	}
	if v, err := installedVersion(r.app, "astro"); err != nil || v != r.AstroVersion {
		return fmt.Errorf("installed astro is %q (%v), want %s", v, err, r.AstroVersion)
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
		if !slices.Contains(runModes, mode) {
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
	if err := r.buildErr[mode]; err != nil {
		fail(err)
	}
	if s, ok := r.buildSeconds[mode]; ok {
		res.Seconds["astro_build"] = s
	}

	port, err := freePort()
	if err != nil {
		fail(err)
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	env := append(slices.Clone(r.env), "HOST=127.0.0.1", "PORT="+strconv.Itoa(port), "ZASTRO_ADAPTER="+r.pkgName, "ZASTRO_MODE="+mode)
	var args []string
	switch mode {
	case "standalone":
		args = []string{filepath.Join(r.outDirs[mode], "server", "entry.mjs")}
	case "middleware":
		args = []string{"server.mjs"}
		env = append(env, "ZASTRO_ENTRY="+filepath.Join(r.outDirs[mode], "server", "entry.mjs"))
	case "dev":
		args = []string{"node_modules/.bin/astro", "dev", "--host", "127.0.0.1", "--port", strconv.Itoa(port)}
	}

	logPath := filepath.Join(r.work, "server-"+mode+".log")
	srv, err := startServer(r.app, env, logPath, r.nodeBin, args...)
	if err != nil {
		fail(err)
	}
	t.Cleanup(srv.stop)

	start := time.Now()
	if err := srv.waitReady(base+"/", readyTimeout); err != nil {
		t.Logf("server log (%s):\n%s", logPath, tailFile(logPath, 80))
		fail(fmt.Errorf("%s server not ready: %w", mode, err))
	}
	res.Seconds["ready"] = secondsSince(start)
	t.Logf("%s/%s: ready at %s after %.1fs", r.Name, mode, base, res.Seconds["ready"])

	start = time.Now()
	suiteEnv := append(slices.Clone(r.env), "ZASTRO_BASE="+base, "ZASTRO_MODE="+mode)
	out, err := runCmd(context.Background(), suiteTimeout, r.repo, suiteEnv, r.nodeBin,
		"--test", "--test-force-exit", "--test-reporter=spec", r.suite)
	res.Seconds["suite"] = secondsSince(start)
	sum := parseSpec(out)
	res.Passed, res.Failed, res.Skipped, res.FailedTests = sum.pass, sum.fail, sum.skipped, sum.failedNames
	t.Logf("%s/%s: client suite %d passed, %d failed, %d skipped (%.1fs)", r.Name, mode, sum.pass, sum.fail, sum.skipped, res.Seconds["suite"])
	if err != nil || sum.fail > 0 || sum.pass == 0 {
		t.Logf("client suite output:\n%s", out)
		t.Logf("server log (%s):\n%s", logPath, tailFile(logPath, 60))
		if err == nil {
			err = errors.New("no test passed")
		}
		fail(fmt.Errorf("%s/%s: client suite failed (%d of %d): %v", r.Name, mode, sum.fail, sum.pass+sum.fail, err))
	}
}

// ---------------------------------------------------------------- majors, app

var templateName = regexp.MustCompile(`^package\.(astro(\d+))\.json$`)

func loadMajors(t *testing.T, appSrc string) []major {
	entries, err := os.ReadDir(appSrc)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, s := range strings.Split(os.Getenv("ZASTRO_E2E_MAJORS"), ",") {
		if s = strings.TrimPrefix(strings.TrimSpace(s), "astro"); s != "" {
			want[s] = true
		}
	}
	var out []major
	for _, e := range entries {
		m := templateName.FindStringSubmatch(e.Name())
		if m == nil || (len(want) > 0 && !want[m[2]]) {
			continue
		}
		path := filepath.Join(appSrc, e.Name())
		var pj struct {
			Dependencies map[string]string `json:"dependencies"`
		}
		b, err := os.ReadFile(path)
		if err == nil {
			err = json.Unmarshal(b, &pj)
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		astro, adapter := pj.Dependencies["astro"], pj.Dependencies[upstreamAdapter]
		if !exactVersion.MatchString(astro) || !exactVersion.MatchString(adapter) {
			t.Fatalf("%s: astro (%q) and %s (%q) must be pinned to exact versions", path, astro, upstreamAdapter, adapter)
		}
		out = append(out, major{Name: m[1], Template: path, AstroVersion: astro, AdapterVersion: adapter})
	}
	sort.Slice(out, func(i, j int) bool { // newest major first: the one that matters most
		a, _ := strconv.Atoi(strings.TrimPrefix(out[i].Name, "astro"))
		b, _ := strconv.Atoi(strings.TrimPrefix(out[j].Name, "astro"))
		return a > b
	})
	return out
}

var exactVersion = regexp.MustCompile(`^\d+\.\d+\.\d+$`)

func selectModes(t *testing.T) []string {
	s := os.Getenv("ZASTRO_E2E_MODES")
	if s == "" {
		return modes
	}
	var out []string
	for _, m := range strings.Split(s, ",") {
		m = strings.TrimSpace(m)
		if !slices.Contains(modes, m) {
			t.Fatalf("ZASTRO_E2E_MODES: unknown mode %q (want %v)", m, modes)
		}
		out = append(out, m)
	}
	return out
}

// copyApp copies the project source, leaving out templates and build output.
func copyApp(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		name := d.Name()
		if d.IsDir() && rel != "." && (name == "node_modules" || name == ".astro" || strings.HasPrefix(name, "dist")) {
			return filepath.SkipDir
		}
		if templateName.MatchString(name) || name == "package-lock.json" {
			return nil
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}

// writePackageJSON writes the major's template with the adapter dependency
// swapped for the package under test (kept as is for upstream).
func writePackageJSON(template, dst, pkgName, pkgDepJSON string) error {
	b, err := os.ReadFile(template)
	if err != nil {
		return err
	}
	var pj map[string]json.RawMessage
	if err := json.Unmarshal(b, &pj); err != nil {
		return fmt.Errorf("%s: %w", template, err)
	}
	var deps map[string]json.RawMessage
	if err := json.Unmarshal(pj["dependencies"], &deps); err != nil {
		return fmt.Errorf("%s: dependencies: %w", template, err)
	}
	if pkgName != upstreamAdapter {
		delete(deps, upstreamAdapter)
		deps[pkgName] = json.RawMessage(pkgDepJSON)
	}
	if pj["dependencies"], err = json.Marshal(deps); err != nil {
		return err
	}
	out, err := json.MarshalIndent(pj, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(dst, append(out, '\n'), 0o644)
}

func readPackageIdentity(path string) (name, version string, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", "", err
	}
	var pj struct{ Name, Version string }
	if err := json.Unmarshal(b, &pj); err != nil {
		return "", "", fmt.Errorf("%s: %w", path, err)
	}
	return pj.Name, pj.Version, nil
}

func installedVersion(app, pkg string) (string, error) {
	_, v, err := readPackageIdentity(filepath.Join(app, "node_modules", pkg, "package.json"))
	return v, err
}

// ---------------------------------------------------------------- processes

// server is a host process in its own process group, so that stopping it also
// stops whatever it spawned (astro dev's workers, esbuild).
type server struct {
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{}
	err  error
	once sync.Once
}

func startServer(dir string, env []string, logPath, name string, args ...string) (*server, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, env, f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("starting %s %s: %w", name, strings.Join(args, " "), err)
	}
	s := &server{cmd: cmd, log: f, done: make(chan struct{})}
	go func() { s.err = cmd.Wait(); close(s.done) }()
	return s, nil
}

// waitReady polls url until it answers 200, the process exits, or the timeout.
func (s *server) waitReady(url string, timeout time.Duration) error {
	client := &http.Client{Timeout: 10 * time.Second}
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return fmt.Errorf("process exited before it was ready: %v", s.err)
		default:
		}
		resp, err := client.Get(url)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		select {
		case <-s.done:
		case <-time.After(200 * time.Millisecond): // poll interval
		}
	}
	return fmt.Errorf("no 200 from %s within %s (last: %s)", url, timeout, last)
}

func (s *server) stop() {
	s.once.Do(func() {
		pgid := s.cmd.Process.Pid
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(stopGrace):
		}
		// Whatever is left of the group (the leader may have exited first).
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-s.done
		s.log.Close()
	})
}

// runCmd runs a command to completion in its own process group, killing the
// whole group on timeout, and returns its combined output.
func runCmd(ctx context.Context, timeout time.Duration, dir string, env []string, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, env
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		err = fmt.Errorf("timed out after %s: %w", timeout, err)
	}
	return buf.Bytes(), err
}

func mustOutput(t *testing.T, env []string, dir, name string, args ...string) []byte {
	t.Helper()
	out, err := runCmd(context.Background(), time.Minute, dir, env, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

// findNode runs scripts/node.sh: a Node >= 22.12, fetched once if needed.
func findNode(t *testing.T, repo string) string {
	t.Helper()
	out, err := runCmd(context.Background(), 10*time.Minute, repo, os.Environ(), "bash", filepath.Join(repo, "scripts", "node.sh"))
	if err != nil {
		t.Fatalf("scripts/node.sh: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	bin := strings.TrimSpace(lines[len(lines)-1])
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("scripts/node.sh printed %q: %v\n%s", bin, err, out)
	}
	return bin
}

// toolEnv is the environment of every npm/astro/node subprocess: the chosen
// Node first on PATH (npm and the astro bin run on it), no telemetry, no update
// checks, no prompts.
func toolEnv(nodeDir string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "PATH", "NODE_OPTIONS", "HOST", "PORT":
			continue
		}
		if strings.HasPrefix(k, "ZASTRO_") && !strings.HasPrefix(k, "ZASTRO_E2E_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"PATH="+nodeDir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"ASTRO_TELEMETRY_DISABLED=1",
		"ASTRO_DISABLE_UPDATE_CHECK=true",
		"npm_config_update_notifier=false",
		"npm_config_fund=false",
		"npm_config_audit=false",
		"NO_COLOR=1",
	)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// ---------------------------------------------------------------- results

type specSummary struct {
	pass, fail, skipped int
	failedNames         []string
}

var (
	specCount  = regexp.MustCompile(`^ℹ (pass|fail|skipped|cancelled) (\d+)$`)
	specFailed = regexp.MustCompile(`^✖ (.+?) \(\d+(\.\d+)?m?s\)`)
)

// parseSpec reads the summary of node --test's spec reporter.
func parseSpec(out []byte) specSummary {
	var s specSummary
	inFailures := false
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := specCount.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[2])
			switch m[1] {
			case "pass":
				s.pass = n
			case "fail", "cancelled":
				s.fail += n
			case "skipped":
				s.skipped = n
			}
			continue
		}
		if strings.HasPrefix(line, "✖ failing tests:") {
			inFailures = true
			continue
		}
		if m := specFailed.FindStringSubmatch(line); m != nil && !inFailures {
			s.failedNames = append(s.failedNames, m[1])
		}
	}
	return s
}

type resultLog struct {
	mu   sync.Mutex
	rows []outcome
}

func (l *resultLog) add(o outcome) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rows = append(l.rows, o)
}

// merge writes this run's rows over the same rows of earlier runs, so a run of
// one major does not erase the others.
func (l *resultLog) merge(path string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.rows) == 0 {
		return nil
	}
	key := func(o outcome) string {
		return o.Package + "|" + o.AdapterVersion + "|" + o.AstroVersion + "|" + o.Mode
	}
	var file struct {
		Results []outcome `json:"results"`
	}
	if b, err := os.ReadFile(path); err == nil {
		_ = json.Unmarshal(b, &file)
	}
	byKey := map[string]outcome{}
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
	modeRank := map[string]int{"standalone": 0, "middleware": 1, "dev": 2}
	sort.Slice(file.Results, func(i, j int) bool {
		a, b := file.Results[i], file.Results[j]
		if a.AstroVersion != b.AstroVersion {
			return versionLess(b.AstroVersion, a.AstroVersion)
		}
		if a.Package != b.Package {
			return a.Package < b.Package
		}
		return modeRank[a.Mode] < modeRank[b.Mode]
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

func versionLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		x, _ := strconv.Atoi(pa[i])
		y, _ := strconv.Atoi(pb[i])
		if x != y {
			return x < y
		}
	}
	return len(pa) < len(pb)
}

// ---------------------------------------------------------------- small helpers

func repoRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Dir(wd) // go test runs in e2e/
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repo root not found above %s: %v", wd, err)
	}
	return root
}

func workDir(t *testing.T, prefix string) string {
	if os.Getenv("ZASTRO_E2E_KEEP") == "1" {
		d, err := os.MkdirTemp("", prefix)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("keeping %s (ZASTRO_E2E_KEEP=1)", d)
		return d
	}
	return t.TempDir()
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return n
	}
	return def
}

func secondsSince(t time.Time) float64 {
	return float64(time.Since(t).Milliseconds()) / 1000
}

func tail(b []byte, lines int) string {
	parts := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}

func tailFile(path string, lines int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	return tail(b, lines)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
