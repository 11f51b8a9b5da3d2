package templates

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/evanw/esbuild/pkg/api"

	"github.com/zastro-dev/zastro/internal/npmretry"
)

// runtimeTestTimeout bounds the whole node --test run; each test file sets
// its own per-step timeouts far below it.
const runtimeTestTimeout = 4 * time.Minute

// TestNodeRuntime runs the unit tests of the Node runtime,
// node/test/*.test.ts, under `node --test` with real ws clients and servers
// on 127.0.0.1. Each test file is bundled with esbuild together with the
// runtime sources it imports (ws and Node's built-ins stay outside); ws comes
// from node/test/node_modules, installed with npm ci from the lock file. Two
// more bundles of connection-manager.ts (copies/a, copies/b) let a test load
// the package twice, as Astro's server build and node_modules do. Needs node
// and npm; skipped with -short.
func TestNodeRuntime(t *testing.T) {
	if testing.Short() {
		t.Skip("installs ws with npm and runs node; skipped with -short")
	}
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is needed for the runtime's unit tests", tool)
			}
			t.Skipf("%s not found", tool)
		}
	}
	testDir, err := filepath.Abs(filepath.Join("node", "test"))
	if err != nil {
		t.Fatal(err)
	}
	installTestDeps(t, testDir)

	out := t.TempDir()
	entries, err := filepath.Glob(filepath.Join(testDir, "*.test.ts"))
	if err != nil || len(entries) == 0 {
		t.Fatalf("no test files in %s (%v)", testDir, err)
	}
	fixtures, _ := filepath.Glob(filepath.Join(testDir, "fixtures", "*.ts"))
	bundle(t, append(entries, fixtures...), testDir, out)
	manager, err := filepath.Abs(filepath.Join("node", "connection-manager.ts"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a", "b"} {
		bundle(t, []string{manager}, filepath.Dir(manager), filepath.Join(out, "copies", name))
	}
	if err := os.Symlink(filepath.Join(testDir, "node_modules"), filepath.Join(out, "node_modules")); err != nil {
		t.Fatal(err)
	}

	var tests []string
	for _, entry := range entries {
		tests = append(tests, filepath.Join(out, strings.TrimSuffix(filepath.Base(entry), ".ts")+".js"))
	}
	sort.Strings(tests)
	ctx, cancel := context.WithTimeout(context.Background(), runtimeTestTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", append([]string{"--test", "--test-reporter=spec"}, tests...)...)
	cmd.Dir = out
	cmd.WaitDelay = 10 * time.Second
	output, err := cmd.CombinedOutput()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("node --test did not finish within %s:\n%s", runtimeTestTimeout, output)
	}
	if err != nil {
		t.Fatalf("node --test failed (%v):\n%s", err, output)
	}
	if testing.Verbose() {
		t.Logf("%s", output)
	}
}

// installTestDeps runs npm ci in dir when its node_modules is missing or
// older than the lock file, with the project's npm retry policy.
func installTestDeps(t *testing.T, dir string) {
	t.Helper()
	lock, err := os.Stat(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	if installed, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json")); err == nil && !installed.ModTime().Before(lock.ModTime()) {
		return
	}
	out, err := npmretry.Run(context.Background(), npmretry.Options{Dir: dir, Timeout: 3 * time.Minute, Logf: t.Logf}, "ci", "--no-audit", "--no-fund", "--prefer-offline")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}

// bundle compiles TypeScript entries into ES modules under outdir, keeping
// their paths relative to base; ws and Node's built-ins stay imports.
func bundle(t *testing.T, entries []string, base, outdir string) {
	t.Helper()
	result := api.Build(api.BuildOptions{
		EntryPoints: entries,
		Bundle:      true,
		Write:       true,
		Outdir:      outdir,
		Outbase:     base,
		Format:      api.FormatESModule,
		Platform:    api.PlatformNode,
		Target:      api.ES2022,
		External:    []string{"ws"},
		Sourcemap:   api.SourceMapInline,
		LogLevel:    api.LogLevelSilent,
	})
	for _, message := range result.Errors {
		location := ""
		if message.Location != nil {
			location = message.Location.File + ":" + strconv.Itoa(message.Location.Line) + ": "
		}
		t.Errorf("esbuild: %s%s", location, message.Text)
	}
	if len(result.Errors) > 0 {
		t.FailNow()
	}
}
