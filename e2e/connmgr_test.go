//go:build unix

package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// connmgrHost is one server of the connection manager's e2e: an adapter
// mode, the manager options it starts with (ZASTRO_CONNECTIONS, read by
// connections.mjs in standalone mode and by server.mjs in middleware mode;
// astro.config.mjs adds maxConnectionsPerIP: 5 everywhere), and the client
// scenarios of testdata/e2e/connmgr-app/test/connmgr.test.mjs run against it
// in order.
type connmgrHost struct {
	mode        string // standalone | middleware | dev
	connections string // JSON, "" for none
	scenarios   []string
	// signalled: the last scenario sends SIGTERM; the server must then exit
	// within exitWithin, killed by that signal unless anyExit (astro dev:
	// Vite's own SIGTERM listener exits the process itself).
	signalled  bool
	anyExit    bool
	exitWithin time.Duration
}

var connmgrHosts = []connmgrHost{
	{mode: "standalone", connections: `{"maxConnections":3}`, scenarios: []string{"pool"}},
	{mode: "standalone", scenarios: []string{"per-ip", "tags"}},
	{mode: "standalone", connections: `{"rateLimitMaxConnections":3,"rateLimitWindow":60000}`, scenarios: []string{"rate"}},
	{mode: "standalone", connections: `{"idleTimeout":1000}`, scenarios: []string{"idle"}},
	{mode: "standalone", connections: `{"enableHealthMonitoring":true,"healthCheckInterval":300,"healthCheckTimeout":1000}`, scenarios: []string{"health"}},
	{mode: "standalone", connections: `{"shutdownTimeout":5000}`, scenarios: []string{"shutdown"}, signalled: true, exitWithin: 5 * time.Second},
	{mode: "middleware", connections: `{"maxConnections":3}`, scenarios: []string{"pool", "tags", "shutdown"}, signalled: true, exitWithin: 10 * time.Second},
	{mode: "dev", scenarios: []string{"per-ip", "tags", "shutdown"}, signalled: true, anyExit: true, exitWithin: 10 * time.Second},
}

// TestNodeConnectionManagerE2E checks zastro-websockets-node/connection-manager
// and /stats through a real Astro 7 app (testdata/e2e/connmgr-app) built with
// the package generated from @astrojs/node: connection limits (503), the rate
// limit (429 + Retry-After), idle cleanup, health checks terminating a client
// that stops answering pings, SIGTERM closing clients with 1001 before the
// process exits, tags and broadcast, and the statistics; in standalone,
// middleware and dev mode. Needs npm, the registry (or its cache) and a Node
// >= 22.12 (scripts/node.sh); about two minutes; skipped with -short.
//
// ZASTRO_E2E_KEEP=1 keeps the work folder; ZASTRO_E2E_ADAPTER=upstream skips it.
func TestNodeConnectionManagerE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: npm install, astro build, real servers; skipped with -short")
	}
	if os.Getenv("ZASTRO_E2E_ADAPTER") == "upstream" {
		t.Skip("the connection manager exists only in zastro-websockets-node")
	}
	for _, tool := range []string{"bash", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the e2e needs %s on PATH: %v", tool, err)
		}
	}
	repo := repoRoot(t)
	appSrc := filepath.Join(repo, "testdata", "e2e", "connmgr-app")
	template := filepath.Join(appSrc, "package.astro7.json")
	astroVersion, adapterVersion := nodeAdapter.pinnedVersions(t, template)

	start := time.Now()
	nodeBin := findNode(t, repo)
	env := toolEnv(filepath.Dir(nodeBin))
	work := workDir(t, "zastro-e2e-connmgr-")
	app := filepath.Join(work, "app")

	zastroBin := buildCLI(t, repo, work)
	pkgDir, _, err := nodeAdapter.generate(t, repo, env, zastroBin, adapterVersion, filepath.Join(work, "pkg"), nil)
	if err != nil {
		t.Fatal(err)
	}
	checkSubpathExports(t, pkgDir)
	if err := copyApp(appSrc, app); err != nil {
		t.Fatalf("copying the app: %v", err)
	}
	if err := nodeAdapter.writePackageJSON(template, filepath.Join(app, "package.json"), zastroAdapter, "file:"+pkgDir); err != nil {
		t.Fatal(err)
	}
	if err := install(t, app, env, true, astroVersion); err != nil {
		t.Fatal(err)
	}
	t.Logf("package generated and app installed (%.1fs)", time.Since(start).Seconds())

	outDirs := map[string]string{"standalone": "dist", "middleware": "dist-middleware"}
	for _, mode := range []string{"standalone", "middleware"} {
		start := time.Now()
		buildEnv := append(slices.Clone(env), "ZASTRO_MODE="+mode, "ZASTRO_OUT_DIR=./"+outDirs[mode])
		if out, err := runCmd(context.Background(), astroBuildTimeout, app, buildEnv, nodeBin, "node_modules/.bin/astro", "build"); err != nil {
			t.Fatalf("astro build (mode %s): %v\n%s", mode, err, tail(out, 80))
		}
		t.Logf("astro build, mode %s: %.1fs", mode, time.Since(start).Seconds())
	}

	// The routes import both subpaths: tsc resolves them through the
	// package's "types" conditions, as in a user's project.
	start = time.Now()
	if out, err := runCmd(context.Background(), astroBuildTimeout, app, env, nodeBin, "node_modules/.bin/astro", "sync"); err != nil {
		t.Fatalf("astro sync: %v\n%s", err, tail(out, 40))
	}
	if out, err := runCmd(context.Background(), astroBuildTimeout, app, env, nodeBin, "node_modules/typescript/bin/tsc", "-p", ".", "--noEmit"); err != nil {
		t.Fatalf("tsc --noEmit over the app: %v\n%s", err, tail(out, 60))
	}
	t.Logf("astro sync and tsc --noEmit: %.1fs", time.Since(start).Seconds())

	suite := filepath.Join(app, "test", "connmgr.test.mjs")
	for i, host := range connmgrHosts {
		name := fmt.Sprintf("%s/%s", host.mode, strings.Join(host.scenarios, "+"))
		t.Run(name, func(t *testing.T) {
			runConnmgrHost(t, host, connmgrRun{app: app, work: work, env: env, nodeBin: nodeBin, repo: repo, suite: suite, index: i, outDirs: outDirs})
		})
	}
	// Several instances of the same build joined through a real redis-server (cluster_test.go).
	t.Run("cluster", func(t *testing.T) {
		runConnmgrCluster(t, connmgrRun{app: app, work: work, env: env, nodeBin: nodeBin, repo: repo, outDirs: outDirs})
	})
}

type connmgrRun struct {
	app, work, repo, nodeBin, suite string
	env                             []string
	index                           int
	outDirs                         map[string]string
}

func runConnmgrHost(t *testing.T, host connmgrHost, r connmgrRun) {
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	env := append(slices.Clone(r.env), "HOST=127.0.0.1", "PORT="+strconv.Itoa(port), "ZASTRO_MODE=standalone")
	if host.connections != "" {
		env = append(env, "ZASTRO_CONNECTIONS="+host.connections)
	}
	var args []string
	switch host.mode {
	case "standalone":
		entry, err := findServerEntry(filepath.Join(r.app, r.outDirs["standalone"]))
		if err != nil {
			t.Fatal(err)
		}
		args = []string{"--import", "./connections.mjs", entry}
	case "middleware":
		args = []string{"server.mjs"}
	case "dev":
		args = []string{"node_modules/.bin/astro", "dev", "--host", "127.0.0.1", "--port", strconv.Itoa(port)}
	}
	logPath := filepath.Join(r.work, fmt.Sprintf("server-%d-%s.log", r.index, host.mode))
	srv, ready, err := serve(t, r.app, env, logPath, r.nodeBin, args, base+"/", readyTimeout)
	if err != nil {
		t.Fatalf("server not ready: %v\n%s", err, tailFile(logPath, 60))
	}
	t.Logf("ready after %.1fs", ready)

	for _, scenario := range host.scenarios {
		suiteEnv := append(slices.Clone(r.env), "ZASTRO_SCENARIO="+scenario, "ZASTRO_SERVER_PID="+strconv.Itoa(srv.cmd.Process.Pid))
		run := runSuite(suiteEnv, r.repo, r.nodeBin, r.suite, base, host.mode)
		t.Logf("%s: %d passed, %d failed (%.1fs)", scenario, run.summary.pass, run.summary.fail, run.seconds)
		if !run.passed(false) {
			t.Fatalf("scenario %s failed (%v):\n%s\nserver log:\n%s", scenario, run.err, run.out, tailFile(logPath, 60))
		}
	}

	if !host.signalled {
		return
	}
	exited := time.Now()
	select {
	case <-srv.done:
	case <-time.After(host.exitWithin):
		t.Fatalf("the server did not exit within %s of the clients' 1001 closes\n%s", host.exitWithin, tailFile(logPath, 60))
	}
	if host.anyExit {
		t.Logf("server exited (%v) %.2fs after its clients were closed", srv.err, time.Since(exited).Seconds())
		return
	}
	var exit *exec.ExitError
	if !errors.As(srv.err, &exit) {
		t.Fatalf("the server exited with %v, want the SIGTERM it was sent", srv.err)
	}
	status, ok := exit.Sys().(syscall.WaitStatus)
	if !ok || !status.Signaled() || status.Signal() != syscall.SIGTERM {
		t.Fatalf("the server exited with %v, want termination by SIGTERM (as without the manager)", srv.err)
	}
	t.Logf("server exited by SIGTERM %.2fs after its clients were closed", time.Since(exited).Seconds())
}

// checkSubpathExports checks that the generated package.json exports
// ./connection-manager and ./stats with types, and that the files exist.
func checkSubpathExports(t *testing.T, pkgDir string) {
	t.Helper()
	var pj struct {
		Exports map[string]json.RawMessage `json:"exports"`
	}
	b, err := os.ReadFile(filepath.Join(pkgDir, "package.json"))
	if err == nil {
		err = json.Unmarshal(b, &pj)
	}
	if err != nil {
		t.Fatalf("generated package.json: %v", err)
	}
	for _, subpath := range []string{"./connection-manager", "./stats"} {
		var target struct{ Types, Default string }
		if err := json.Unmarshal(pj.Exports[subpath], &target); err != nil || target.Types == "" || target.Default == "" {
			t.Fatalf("package.json exports[%q] = %s, want {types, default} (%v)", subpath, pj.Exports[subpath], err)
		}
		for _, file := range []string{target.Types, target.Default} {
			if _, err := os.Stat(filepath.Join(pkgDir, filepath.FromSlash(file))); err != nil {
				t.Errorf("exports[%q] names %s: %v", subpath, file, err)
			}
		}
	}
}
