package templates

import (
	"path"
	"slices"
	"sort"
	"strings"
	"testing"

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
