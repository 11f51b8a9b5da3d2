package templates

import (
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/evanw/esbuild/pkg/api"
)

// TestEmbedComplete checks that every template on disk is embedded and
// handed out by exactly one of Files and Types.
func TestEmbedComplete(t *testing.T) {
	for _, adapter := range Adapters() {
		files, err := Files(adapter)
		if err != nil {
			t.Fatal(err)
		}
		types, err := Types(adapter)
		if err != nil {
			t.Fatal(err)
		}
		var onDisk []string
		rt, _ := runtime(adapter)
		for _, dir := range rt.Dirs {
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, entry := range entries {
				if !entry.IsDir() && strings.HasSuffix(entry.Name(), ".ts") {
					onDisk = append(onDisk, path.Join(OutputDir, dir, entry.Name()))
				}
			}
		}
		var handedOut []string
		for name := range files {
			if isDeclaration(name) {
				t.Errorf("%s: Files returned the declaration %s", adapter, name)
			}
			handedOut = append(handedOut, name)
		}
		for name := range types {
			if !isDeclaration(name) {
				t.Errorf("%s: Types returned the runtime file %s", adapter, name)
			}
			handedOut = append(handedOut, name)
		}
		sort.Strings(onDisk)
		sort.Strings(handedOut)
		if strings.Join(onDisk, "\n") != strings.Join(handedOut, "\n") {
			t.Errorf("%s: on disk:\n%s\nhanded out:\n%s", adapter, strings.Join(onDisk, "\n"), strings.Join(handedOut, "\n"))
		}
		for _, want := range []string{"zastro/node/index.ts", "zastro/shared/websocket.ts"} {
			if adapter == "node" && files[want] == nil {
				t.Errorf("node: Files lacks %s", want)
			}
		}
		if adapter == "node" && types["zastro/node/env.d.ts"] == nil {
			t.Errorf("node: Types lacks zastro/node/env.d.ts")
		}
	}
}

func TestUnknownAdapter(t *testing.T) {
	if _, err := Files("deno"); err == nil || !strings.Contains(err.Error(), `"deno"`) {
		t.Errorf("Files(deno) error = %v, want one naming the adapter", err)
	}
	if _, err := Types("deno"); err == nil {
		t.Error("Types(deno) gave no error")
	}
	if deps := Dependencies("deno"); len(deps) != 0 {
		t.Errorf("Dependencies(deno) = %v, want none", deps)
	}
}

func TestDependencies(t *testing.T) {
	deps := Dependencies("node")
	if deps["ws"] == "" {
		t.Fatalf("Dependencies(node) = %v, want ws", deps)
	}
	deps["ws"] = "changed"
	if Dependencies("node")["ws"] == "changed" {
		t.Error("Dependencies returns the package's own map")
	}
	optional := OptionalDependencies("node")
	if optional["bufferutil"] == "" || optional["utf-8-validate"] == "" || len(optional) != 2 {
		t.Errorf("OptionalDependencies(node) = %v, want bufferutil and utf-8-validate", optional)
	}
	if len(OptionalDependencies("cloudflare")) != 0 {
		t.Errorf("OptionalDependencies(cloudflare) = %v, want none: the worker never loads ws", OptionalDependencies("cloudflare"))
	}
}

// TestCompilePerFile compiles each runtime file alone, as the assemble stage
// does, and checks that its relative imports end in ".js".
func TestCompilePerFile(t *testing.T) {
	files, err := Files("node")
	if err != nil {
		t.Fatal(err)
	}
	specifier := regexp.MustCompile(`(?m)^\s*(?:import|export)\b[^"']*?from\s*["']([^"']+)["']`)
	for name, source := range files {
		result := api.Transform(string(source), api.TransformOptions{
			Loader:     api.LoaderTS,
			Format:     api.FormatESModule,
			Platform:   api.PlatformNode,
			Target:     api.ES2022,
			Sourcefile: name,
		})
		for _, message := range result.Errors {
			t.Errorf("%s: %s", name, message.Text)
		}
		for _, match := range specifier.FindAllStringSubmatch(string(result.Code), -1) {
			spec := match[1]
			if strings.HasPrefix(spec, ".") && !strings.HasSuffix(spec, ".js") {
				t.Errorf("%s: relative import %q must end in .js", name, spec)
			}
		}
	}
}

// TestImportsResolve bundles the runtime from the embedded files alone: every
// relative import must name an embedded file, and only "ws" and Node's
// built-ins may stay outside. Declarations are checked the same way.
func TestImportsResolve(t *testing.T) {
	files, err := Files("node")
	if err != nil {
		t.Fatal(err)
	}
	types, err := Types("node")
	if err != nil {
		t.Fatal(err)
	}
	resolve := func(importer, spec string) (string, bool) {
		target := path.Join(path.Dir(importer), spec)
		for _, candidate := range []string{strings.TrimSuffix(target, ".js") + ".ts", strings.TrimSuffix(target, ".js") + ".d.ts"} {
			if files[candidate] != nil || types[candidate] != nil {
				return candidate, true
			}
		}
		return "", false
	}
	embedded := api.Plugin{
		Name: "embedded",
		Setup: func(build api.PluginBuild) {
			build.OnResolve(api.OnResolveOptions{Filter: `.*`}, func(args api.OnResolveArgs) (api.OnResolveResult, error) {
				if args.Kind == api.ResolveEntryPoint {
					return api.OnResolveResult{Path: args.Path, Namespace: "embedded"}, nil
				}
				if args.Path == "ws" || strings.HasPrefix(args.Path, "node:") {
					return api.OnResolveResult{Path: args.Path, External: true}, nil
				}
				if !strings.HasPrefix(args.Path, ".") {
					return api.OnResolveResult{Errors: []api.Message{{Text: "undeclared package import " + args.Path}}}, nil
				}
				target, ok := resolve(args.Importer, args.Path)
				if !ok {
					return api.OnResolveResult{Errors: []api.Message{{Text: "no embedded file for " + args.Path}}}, nil
				}
				return api.OnResolveResult{Path: target, Namespace: "embedded"}, nil
			})
			build.OnLoad(api.OnLoadOptions{Filter: `.*`, Namespace: "embedded"}, func(args api.OnLoadArgs) (api.OnLoadResult, error) {
				contents := string(files[args.Path])
				return api.OnLoadResult{Contents: &contents, Loader: api.LoaderTS}, nil
			})
		},
	}
	var entries []string
	for name := range files {
		entries = append(entries, name)
	}
	sort.Strings(entries)
	result := api.Build(api.BuildOptions{
		EntryPoints: entries,
		Bundle:      true,
		Write:       false,
		Outdir:      "out",
		Format:      api.FormatESModule,
		Platform:    api.PlatformNode,
		Target:      api.ES2022,
		Plugins:     []api.Plugin{embedded},
		LogLevel:    api.LogLevelSilent,
	})
	for _, message := range result.Errors {
		location := ""
		if message.Location != nil {
			location = message.Location.File + ": "
		}
		t.Errorf("%s%s", location, message.Text)
	}
	importFrom := regexp.MustCompile(`(?m)^\s*(?:import|export)\b[^"]*?from\s*"(\.[^"]+)"`)
	for name, source := range types {
		for _, match := range importFrom.FindAllStringSubmatch(string(source), -1) {
			if _, ok := resolve(name, match[1]); !ok || !strings.HasSuffix(match[1], ".js") {
				t.Errorf("%s: import %q does not name an embedded declaration with .js", name, match[1])
			}
		}
	}
}

// TestTemplatesTypecheck runs templates/typecheck/run.sh: tsc over the
// runtime and over user code against the public types. Needs npm.
func TestTemplatesTypecheck(t *testing.T) {
	if testing.Short() {
		t.Skip("installs TypeScript with npm; skipped with -short")
	}
	if _, err := exec.LookPath("npm"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("npm is needed to type-check the templates")
		}
		t.Skip("npm not found")
	}
	script, err := filepath.Abs(filepath.Join("typecheck", "run.sh"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("bash", script).CombinedOutput()
	if err != nil {
		t.Fatalf("type errors in the templates (%v):\n%s", err, out)
	}

	// The same compiler must reject user code that misuses the types.
	dir := t.TempDir()
	base := filepath.Join(filepath.Dir(script), "consumer", "tsconfig.json")
	env, err := filepath.Abs(filepath.Join("node", "env.d.ts"))
	if err != nil {
		t.Fatal(err)
	}
	bad := `/// <reference path="` + filepath.ToSlash(env) + `" />
export function misuse(locals: App.Locals): number {
	const { socket } = locals.upgradeWebSocket({ protocol: true })
	socket.send({ not: "data" })
	return locals.isUpgradeRequest
}
`
	config := `{ "extends": "` + filepath.ToSlash(base) + `", "include": ["bad.ts"] }`
	if err := os.WriteFile(filepath.Join(dir, "bad.ts"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tsconfig.json"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	tsc := filepath.Join(filepath.Dir(script), "node_modules", ".bin", "tsc")
	out, err = exec.Command(tsc, "-p", dir).CombinedOutput()
	if err == nil {
		t.Fatalf("tsc accepted misuse of the public types:\n%s", out)
	}
	for _, want := range []string{"bad.ts(3", "bad.ts(4", "bad.ts(5"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("tsc did not report %s:\n%s", want, out)
		}
	}
}

// The declaration files an adapter's descriptor has dist/index.d.ts
// reference are in its runtime.
func TestTypeRefsAreRuntimeDeclarations(t *testing.T) {
	for _, adapter := range Adapters() {
		types, err := Types(adapter)
		if err != nil {
			t.Fatal(err)
		}
		rt, _ := runtime(adapter)
		if len(rt.TypeRefs) == 0 {
			t.Errorf("%s: no declaration file referenced", adapter)
		}
		for _, ref := range rt.TypeRefs {
			if _, ok := types[path.Join(OutputDir, adapter, ref)]; !ok {
				t.Errorf("%s: %s is referenced but not in the runtime", adapter, ref)
			}
		}
	}
}
