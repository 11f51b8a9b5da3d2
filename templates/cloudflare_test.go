package templates

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/evanw/esbuild/pkg/api"
)

// TestCloudflareWorkerRuntimeIsPortable bundles the worker side of the
// Cloudflare runtime (cloudflare/index.ts, what the patched request handler
// imports) from the embedded files: it must reach nothing of Node (no
// built-in, no ws, nothing of node/), or workerd could not load it without
// nodejs_compat. dev.ts, the `astro dev` side, is the one file allowed Node.
func TestCloudflareWorkerRuntimeIsPortable(t *testing.T) {
	files, err := Files("cloudflare")
	if err != nil {
		t.Fatal(err)
	}
	var reached []string
	plugin := api.Plugin{
		Name: "embedded",
		Setup: func(build api.PluginBuild) {
			build.OnResolve(api.OnResolveOptions{Filter: `.*`}, func(args api.OnResolveArgs) (api.OnResolveResult, error) {
				if args.Kind == api.ResolveEntryPoint {
					return api.OnResolveResult{Path: args.Path, Namespace: "embedded"}, nil
				}
				if !strings.HasPrefix(args.Path, ".") {
					return api.OnResolveResult{Errors: []api.Message{{Text: "the worker runtime imports " + args.Path}}}, nil
				}
				target := strings.TrimSuffix(path.Join(path.Dir(args.Importer), args.Path), ".js") + ".ts"
				if files[target] == nil {
					return api.OnResolveResult{Errors: []api.Message{{Text: "no embedded file for " + args.Path}}}, nil
				}
				if strings.HasPrefix(target, OutputDir+"/node/") {
					return api.OnResolveResult{Errors: []api.Message{{Text: "the worker runtime imports the Node runtime: " + target}}}, nil
				}
				reached = append(reached, target)
				return api.OnResolveResult{Path: target, Namespace: "embedded"}, nil
			})
			build.OnLoad(api.OnLoadOptions{Filter: `.*`, Namespace: "embedded"}, func(args api.OnLoadArgs) (api.OnLoadResult, error) {
				contents := string(files[args.Path])
				return api.OnLoadResult{Contents: &contents, Loader: api.LoaderTS}, nil
			})
		},
	}
	result := api.Build(api.BuildOptions{
		EntryPoints: []string{OutputDir + "/cloudflare/index.ts"},
		Bundle:      true,
		Write:       false,
		Format:      api.FormatESModule,
		Platform:    api.PlatformNeutral,
		Target:      api.ES2022,
		Plugins:     []api.Plugin{plugin},
		LogLevel:    api.LogLevelSilent,
	})
	for _, m := range result.Errors {
		t.Error(m.Text)
	}
	sort.Strings(reached)
	for _, want := range []string{"zastro/shared/websocket.ts", "zastro/cloudflare/wire.ts"} {
		if !slices.Contains(reached, want) {
			t.Errorf("the worker runtime does not reach %s (reached %v)", want, reached)
		}
	}
	if slices.Contains(reached, "zastro/cloudflare/dev.ts") {
		t.Error("the worker runtime reaches dev.ts, the astro dev side")
	}
}

// TestCloudflareRooms runs the unit tests of the rooms (cloudflare/test/*.test.ts:
// room.ts and the handshake's hand-over to a room) under `node --test`, with
// stand-ins for workerd's WebSocket, WebSocketPair, Durable Object state and
// 101 Response. Needs node (no npm packages); skipped with -short.
func TestCloudflareRooms(t *testing.T) {
	if testing.Short() {
		t.Skip("runs node; skipped with -short")
	}
	if _, err := exec.LookPath("node"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("node is needed for the rooms' unit tests")
		}
		t.Skip("node not found")
	}
	testDir, err := filepath.Abs(filepath.Join("cloudflare", "test"))
	if err != nil {
		t.Fatal(err)
	}
	entries, err := filepath.Glob(filepath.Join(testDir, "*.test.ts"))
	if err != nil || len(entries) == 0 {
		t.Fatalf("no test files in %s (%v)", testDir, err)
	}
	out := t.TempDir()
	bundle(t, entries, testDir, out)
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
