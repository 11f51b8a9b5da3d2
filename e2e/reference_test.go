//go:build unix

package e2e

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
)

// TestNodeClientSuiteReference runs the client suite against a reference
// server (testdata/e2e/reference: `ws`, no Astro) that implements the wire
// behaviour the e2e app must show. Every test must pass there: it keeps the
// suite honest, so that a failure in TestNodeE2E is the package's.
func TestNodeClientSuiteReference(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: needs npm and Node >= 22.12; skipped with -short")
	}
	repo := repoRoot(t)
	nodeBin := findNode(t, repo)
	env := toolEnv(filepath.Dir(nodeBin))

	work := t.TempDir()
	if err := copyApp(filepath.Join(repo, "testdata", "e2e", "reference"), work); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if out, err := npmInstall(t, work, env, []string{"install", "--no-audit", "--no-fund", "--prefer-offline", "--no-package-lock"}); err != nil {
		t.Fatalf("%v\n%s", err, tail(out, 40))
	}
	t.Logf("npm install %.1fs", secondsSince(start))

	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	logPath := filepath.Join(work, "server.log")
	if _, _, err := serve(t, work, append(slices.Clone(env), "HOST=127.0.0.1", "PORT="+strconv.Itoa(port)), logPath, nodeBin, []string{"server.mjs"}, base+"/", 30*time.Second); err != nil {
		t.Fatalf("reference server not ready: %v\n%s", err, tailFile(logPath, 40))
	}

	suite := filepath.Join(repo, "testdata", "e2e", "client", "node-contract.test.mjs")
	run := runSuite(env, repo, nodeBin, suite, base, "standalone")
	t.Logf("client suite against the reference server: %d passed, %d failed, %d skipped (%.1fs)",
		run.summary.pass, run.summary.fail, run.summary.skipped, run.seconds)
	if !run.passed(false) {
		t.Fatalf("the client suite must pass against the reference server (%v):\n%s\nserver log:\n%s", run.err, run.out, tailFile(logPath, 40))
	}
}
