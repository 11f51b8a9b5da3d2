// Package verify is zastro's contract check: it evaluates a generated
// integration in goja, against a stub of Astro's integration hook API, and
// asserts its wiring, in milliseconds and without Node.
//
//	problems := verify.Package("node", files) // files: the package's slash paths
//	for _, p := range problems {
//		fmt.Println(p)
//	}
//
// The integration's own files are bundled by esbuild; every import that leaves
// the package (astro, node builtins, npm dependencies) resolves to a stub whose
// members are callable no-ops, so only the adapter's logic runs.
package verify

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/dop251/goja"
	"github.com/evanw/esbuild/pkg/api"
	"github.com/zastro-dev/zastro/adapters"
)

// Problem is one broken expectation.
type Problem struct {
	Check string // e.g. "adapter name"
	Text  string
}

func (p Problem) String() string { return fmt.Sprintf("verify: %s: %s", p.Check, p.Text) }

// Expectations of one adapter's generated package: the contract in the
// adapter's descriptor (package adapters).
type Expectations = adapters.Contract

// For returns the expectations for an adapter's newest generation.
func For(adapter string) (Expectations, error) { return ForVersion(adapter, "") }

// ForVersion returns the expectations for an adapter generated from an
// upstream version ("" is the newest generation), from the adapter's
// descriptor: the generations differ where upstream changed shape (see the
// cutoffs in package adapters).
func ForVersion(adapter, version string) (Expectations, error) {
	d, err := adapters.Lookup(adapter)
	if err != nil || d.Contract == nil {
		return Expectations{}, fmt.Errorf("verify: no contract for adapter %q", adapter)
	}
	want, err := d.Contract(version)
	if err != nil {
		return Expectations{}, fmt.Errorf("verify: %s %v", adapter, err)
	}
	return want, nil
}

// upstreamVersion reads the upstream adapter version that the build recorded
// in the package's package.json ("zastro": {"adapterVersion": ...}).
func upstreamVersion(files map[string][]byte) string {
	var pj struct {
		Zastro struct {
			AdapterVersion string `json:"adapterVersion"`
		} `json:"zastro"`
	}
	if b, ok := files["package.json"]; ok && jsonUnmarshal(string(b), &pj) == nil {
		return pj.Zastro.AdapterVersion
	}
	return ""
}

// Package checks a generated package's files against the adapter's contract.
func Package(adapter string, files map[string][]byte) []Problem {
	want, err := ForVersion(adapter, upstreamVersion(files))
	if err != nil {
		return []Problem{{"contract", err.Error()}}
	}
	return Check(want, files)
}

// Check evaluates dist/index.js and the server entry and compares what they do
// with want.
func Check(want Expectations, files map[string][]byte) []Problem {
	var probs []Problem
	add := func(check, format string, args ...any) {
		probs = append(probs, Problem{check, fmt.Sprintf(format, args...)})
	}
	entries := []string{integrationEntry}
	if _, ok := files[want.ServerFile]; ok && want.ServerFile != "" {
		entries = append(entries, want.ServerFile)
	}
	bundles := bundleEntries(files, entries)
	integration := bundles[integrationEntry]
	if integration.err != nil {
		add("bundle", "%v", integration.err)
		return probs
	}
	got, err := run(integration.code, want.Options)
	if err != nil {
		add("evaluate", "%v", err)
		return probs
	}
	if got.Integration != want.Name {
		add("integration name", "got %q, want %q", got.Integration, want.Name)
	}
	if got.Adapter.Name != want.Name {
		add("adapter name", "setAdapter got %q, want %q", got.Adapter.Name, want.Name)
	}
	if got.Adapter.Server != want.Server {
		add("server entrypoint", "got %q, want %q", got.Adapter.Server, want.Server)
	}
	if want.Preview != "" && got.Adapter.Preview != want.Preview {
		add("preview entrypoint", "got %q, want %q", got.Adapter.Preview, want.Preview)
	}
	if want.DevUpgrade {
		if !contains(got.Hooks, "astro:server:setup") {
			add("dev server hook", "the integration has no astro:server:setup hook (hooks: %s)", strings.Join(got.Hooks, ", "))
		} else if !contains(got.DevEvents, "upgrade") {
			add("dev server hook", "astro:server:setup did not listen for \"upgrade\" on the dev server (listened for: %s)", strings.Join(got.DevEvents, ", "))
		}
	}
	for _, u := range got.Unresolved {
		add("package files", "%s", u)
	}
	if want.ServerFile != "" {
		server, ok := bundles[want.ServerFile]
		if !ok {
			add("server entry", "%s is missing", want.ServerFile)
			return probs
		}
		if server.err != nil {
			add("server entry", "%v", server.err)
			return probs
		}
		exports, inputs := server.exports, server.inputs
		for _, name := range want.Exports {
			// Older generations export through createExports() and list the
			// names in the adapter's "exports" array.
			if !contains(exports, name) && !contains(got.Adapter.Exports, name) {
				add("server entry exports", "%s exports %v and the adapter lists %v: %q missing", want.ServerFile, exports, got.Adapter.Exports, name)
			}
		}
		if want.WorkerRuntime != "" {
			if !contains(inputs, want.WorkerRuntime) {
				add("worker runtime", "the bundle of %s does not include %s: the request handler is not wired to the WebSocket runtime", want.ServerFile, want.WorkerRuntime)
			}
			for _, in := range inputs {
				if strings.HasPrefix(in, "dist/"+adapters.Node.RuntimeModule("")) {
					add("worker runtime", "the bundle of %s includes %s: the Node runtime cannot run in a worker", want.ServerFile, in)
				}
			}
		}
	}
	return probs
}

type outcome struct {
	Integration string
	Hooks       []string
	Adapter     struct {
		Name, Server, Preview string
		Exports               []string
	}
	DevEvents  []string
	Unresolved []string
}

const (
	stubNS  = "zastro-stub"
	entryNS = "zastro-entry"
)

// integrationEntry names the bundle that goja evaluates: a module that
// imports the package's dist/index.js and hands its namespace to the harness.
const integrationEntry = "dist/index.js"

// integrationModule is the source of that module (at the package root).
const integrationModule = `import * as integration from "./dist/index.js";
globalThis.__zastroModule = integration;
`

// bundled is one entry's bundle.
type bundled struct {
	code    string   // the output, for the integration entry
	exports []string // the entry's export names
	inputs  []string // the package files the bundle includes
	err     error
}

// bundleEntries bundles each entry with the package's own files; everything
// else is a stub. All entries are bundled by one esbuild build, which parses
// each file once; when that build reports errors, each entry is bundled on
// its own, so that every error is told against the entry that reaches it.
func bundleEntries(files map[string][]byte, entries []string) map[string]bundled {
	out, err := bundle(files, entries)
	if err != nil && len(entries) > 1 {
		out = map[string]bundled{}
		for _, e := range entries {
			one, err := bundle(files, []string{e})
			if err != nil {
				one = map[string]bundled{e: {err: err}}
			}
			out[e] = one[e]
		}
		return out
	}
	if err != nil {
		return map[string]bundled{entries[0]: {err: err}}
	}
	return out
}

// bundle runs one esbuild build of entries (package paths; integrationEntry
// stands for the module that goja evaluates). The error is esbuild's; an
// import that does not resolve to a file of the package is an error of each
// entry whose bundle reaches the importing file.
//
// A stub is a CommonJS module whose exports object is a proxy (see harness):
// esbuild accepts any named import from CommonJS, so the stubs need no list of
// the names each module is imported under.
func bundle(files map[string][]byte, entries []string) (map[string]bundled, error) {
	for _, e := range entries {
		if _, ok := files[e]; !ok {
			return nil, fmt.Errorf("%s is missing", e)
		}
	}
	var mu sync.Mutex                // esbuild calls plugins from several goroutines
	missing := map[string][]string{} // importing file (metafile key) -> messages
	plugin := api.Plugin{
		Name: "zastro-package",
		Setup: func(b api.PluginBuild) {
			b.OnResolve(api.OnResolveOptions{Filter: ".*"}, func(a api.OnResolveArgs) (api.OnResolveResult, error) {
				if a.Kind == api.ResolveEntryPoint {
					if a.Path == entryNS+":" {
						return api.OnResolveResult{Path: "/integration.js", Namespace: entryNS}, nil
					}
					return api.OnResolveResult{Path: "/" + a.Path, Namespace: "pkg"}, nil
				}
				if strings.HasPrefix(a.Path, "./") || strings.HasPrefix(a.Path, "../") {
					p := path.Join(path.Dir(a.Importer), a.Path)
					if _, ok := files[strings.TrimPrefix(p, "/")]; ok {
						return api.OnResolveResult{Path: p, Namespace: "pkg"}, nil
					}
					mu.Lock()
					key := a.Namespace + ":" + a.Importer
					missing[key] = append(missing[key], fmt.Sprintf("%s imports %s: it does not resolve to a file of the package", strings.TrimPrefix(a.Importer, "/"), a.Path))
					mu.Unlock()
					return api.OnResolveResult{Path: "missing:" + p, Namespace: stubNS}, nil
				}
				return api.OnResolveResult{Path: a.Path, Namespace: stubNS}, nil
			})
			b.OnLoad(api.OnLoadOptions{Filter: ".*", Namespace: entryNS}, func(a api.OnLoadArgs) (api.OnLoadResult, error) {
				s := integrationModule
				return api.OnLoadResult{Contents: &s, Loader: api.LoaderJS, ResolveDir: "/"}, nil
			})
			b.OnLoad(api.OnLoadOptions{Filter: ".*", Namespace: "pkg"}, func(a api.OnLoadArgs) (api.OnLoadResult, error) {
				s := string(files[strings.TrimPrefix(a.Path, "/")])
				return api.OnLoadResult{Contents: &s, Loader: api.LoaderJS, ResolveDir: "/"}, nil
			})
			b.OnLoad(api.OnLoadOptions{Filter: ".*", Namespace: stubNS}, func(a api.OnLoadArgs) (api.OnLoadResult, error) {
				s := "module.exports = globalThis.__stub(" + quote(a.Path) + ");\n"
				return api.OnLoadResult{Contents: &s, Loader: api.LoaderJS}, nil
			})
		},
	}
	points := make([]string, len(entries))
	for i, e := range entries {
		points[i] = e
		if e == integrationEntry {
			points[i] = entryNS + ":"
		}
	}
	res := api.Build(api.BuildOptions{
		EntryPoints:   points,
		Bundle:        true,
		Write:         false,
		Format:        api.FormatESModule,
		Platform:      api.PlatformNeutral,
		Target:        api.ES2017,
		Plugins:       []api.Plugin{plugin},
		Metafile:      true,
		AbsWorkingDir: "/",
		Outdir:        "/out",
		Outbase:       "/",
		// Less text to print and for goja to parse; names stay as written.
		MinifyWhitespace: true,
		MinifySyntax:     true,
		LegalComments:    api.LegalCommentsNone,
		// goja runs scripts: import.meta becomes an empty object, and import()
		// with a computed specifier (cloudflare 14.x loads a user's image
		// service that way) is rewritten.
		Supported: map[string]bool{"top-level-await": true, "dynamic-import": false, "import-meta": false},
		LogLevel:  api.LogLevelSilent,
	})
	if len(res.Errors) > 0 {
		var msgs []string
		for _, e := range res.Errors {
			loc := ""
			if e.Location != nil {
				loc = fmt.Sprintf("%s:%d:%d: ", e.Location.File, e.Location.Line, e.Location.Column)
			}
			msgs = append(msgs, loc+e.Text)
		}
		return nil, fmt.Errorf("bundle %s: %s", strings.Join(entries, ", "), strings.Join(msgs, "; "))
	}
	meta, err := readMeta(res.Metafile)
	if err != nil {
		return nil, err
	}
	out := map[string]bundled{}
	for _, e := range entries {
		key := "pkg:/" + e
		if e == integrationEntry {
			key = entryNS + ":/integration.js"
		}
		o, ok := meta.output(key)
		if !ok {
			return nil, fmt.Errorf("bundle %s: esbuild wrote no output for it", e)
		}
		reach := meta.reachable(key)
		var b bundled
		var errs []string
		for k := range reach {
			errs = append(errs, missing[k]...)
			if p, ok := strings.CutPrefix(k, "pkg:/"); ok {
				b.inputs = append(b.inputs, p)
			}
		}
		sort.Strings(b.inputs)
		if len(errs) > 0 {
			sort.Strings(errs)
			b.err = fmt.Errorf("%s", strings.Join(errs, "; "))
		}
		b.exports = o.Exports
		sort.Strings(b.exports)
		for _, f := range res.OutputFiles {
			if f.Path == "/"+o.path {
				b.code = string(f.Contents)
			}
		}
		out[e] = b
	}
	return out, nil
}

// harness is the stub of Astro's hook API; it records what the integration does.
const harness = `
var __record = { unresolved: [], devEvents: [] };
// Web platform classes that the runtime extends at module level; no behaviour is needed.
(function (g) {
  function define(name, value) { if (typeof g[name] === "undefined") g[name] = value; }
  define("EventTarget", class EventTarget { addEventListener() {} removeEventListener() {} dispatchEvent() { return true; } });
  define("Event", class Event { constructor(type) { this.type = type; } });
  define("MessageEvent", class MessageEvent extends g.Event {});
  define("CloseEvent", class CloseEvent extends g.Event {});
  define("ErrorEvent", class ErrorEvent extends g.Event {});
  define("DOMException", class DOMException extends Error {});
  define("URL", class URL { constructor(s, base) { this.href = String(s); this.pathname = this.href; } toString() { return this.href; } });
  define("Blob", class Blob {});
  define("TextEncoder", class TextEncoder { encode() { return new Uint8Array(0); } });
  define("TextDecoder", class TextDecoder { decode() { return ""; } });
  define("queueMicrotask", function (f) { Promise.resolve().then(f); });
  define("setTimeout", function () { return 0; });
  define("clearTimeout", function () {});
  define("setImmediate", function () { return 0; });
  define("console", { log: function () {}, error: function () {}, warn: function () {}, info: function () {}, debug: function () {} });
  define("process", { env: {}, on: function () {}, once: function () {}, versions: { node: "22.0.0" }, platform: "linux", cwd: function () { return "/app"; } });
})(globalThis);
globalThis.__stub = function (name) {
  if (name.indexOf("missing:") === 0) { __record.unresolved.push("import of " + name.slice(8) + " does not resolve to a file of the package"); }
  return stubValue();
};
// A stub: callable, constructible, and every member is a stub. Its prototype
// is stubProto, so that esbuild's import interop (an object created from the
// CommonJS exports' prototype, see bundle) answers every imported name with a
// stub too. stubProto's own prototype is null: prototype walks end.
function stubGet(k) {
  if (k === "then") return undefined;
  if (k === Symbol.toPrimitive) return function () { return ""; };
  if (k === Symbol.iterator) return undefined;
  return stubValue();
}
var stubProto = new Proxy(Object.create(null), { get: function (t, k) { return stubGet(k); } });
function stubValue() {
  var base = function () {};
  base.prototype = {};
  return new Proxy(base, {
    get: function (t, k) {
      if (k === "prototype") return t.prototype;
      return stubGet(k);
    },
    getPrototypeOf: function () { return stubProto; },
    apply: function () { return stubValue(); },
    construct: function () { return stubValue(); }
  });
}
`

const drive = `
(function (mod, options) {
  var create = mod.default;
  if (typeof create !== "function") throw new Error("the package's default export is not a function");
  var integration = create(options);
  var hooks = integration.hooks || {};
  var adapter = null;
  var url = function (s) { return { href: s, pathname: s, toString: function () { return s; } }; };
  var config = {
    root: url("file:///app/"), srcDir: url("file:///app/src/"), outDir: url("file:///app/dist/"), cacheDir: url("file:///app/.cache/"),
    build: { client: url("file:///app/dist/client/"), server: url("file:///app/dist/server/"), assets: "_astro" },
    server: { host: false, port: 4321 }, image: { endpoint: {}, service: { entrypoint: "astro/assets/services/sharp", config: {} } }, session: undefined, security: {}, output: "server", trailingSlash: "ignore", base: "/", integrations: [], experimental: {}
  };
  var logger = { info: function () {}, warn: function () {}, error: function () {}, debug: function () {}, fork: function () { return logger; } };
  var call = function (name, arg) { var h = hooks[name]; if (typeof h === "function") h(arg); };
  call("astro:config:setup", { config: config, updateConfig: function () {}, logger: logger, command: "build", isRestart: false, addMiddleware: function () {}, injectRoute: function () {}, addWatchFile: function () {}, addRenderer: function () {}, injectScript: function () {}, addDevToolbarApp: function () {}, createCodegenDir: function () { return url("file:///app/.astro/"); } });
  call("astro:config:done", { config: config, setAdapter: function (a) { adapter = a; }, logger: logger, buildOutput: "server", injectTypes: function () { return url("file:///app/.astro/types.d.ts"); } });
  var server = {
    httpServer: { listening: false, on: function (ev) { __record.devEvents.push(ev); return this; }, once: function (ev) { __record.devEvents.push(ev); return this; }, addListener: function (ev) { __record.devEvents.push(ev); return this; }, prependListener: function (ev) { __record.devEvents.push(ev); return this; } },
    middlewares: { stack: [], use: function () {} },
    ws: { on: function () {} }, config: { server: {} }
  };
  call("astro:server:setup", { server: server, logger: logger, toolbar: {} });
  return JSON.stringify({
    Integration: integration.name,
    Hooks: Object.keys(hooks),
    Adapter: adapter ? { Name: adapter.name, Server: adapter.serverEntrypoint, Preview: adapter.previewEntrypoint || "", Exports: adapter.exports || [] } : {},
    DevEvents: __record.devEvents,
    Unresolved: __record.unresolved
  });
})
`

// The fixed scripts are compiled once per process and run in a fresh runtime
// for every check (a *goja.Program is safe to share between runtimes).
var (
	compileOnce            sync.Once
	harnessProg, driveProg *goja.Program
	compileErr             error
	optionsProgs           sync.Map // options expression -> *goja.Program
)

func programs() (*goja.Program, *goja.Program, error) {
	compileOnce.Do(func() {
		if harnessProg, compileErr = goja.Compile("harness.js", harness, false); compileErr != nil {
			return
		}
		driveProg, compileErr = goja.Compile("drive.js", drive, false)
	})
	return harnessProg, driveProg, compileErr
}

func optionsProgram(options string) (*goja.Program, error) {
	if p, ok := optionsProgs.Load(options); ok {
		return p.(*goja.Program), nil
	}
	p, err := goja.Compile("options.js", "("+options+")", false)
	if err != nil {
		return nil, err
	}
	optionsProgs.Store(options, p)
	return p, nil
}

// run evaluates the bundled integration and drives its hooks.
func run(code, options string) (outcome, error) {
	var out outcome
	harnessP, driveP, err := programs()
	if err != nil {
		return out, fmt.Errorf("internal: %v", err)
	}
	optsP, err := optionsProgram(options)
	if err != nil {
		return out, fmt.Errorf("options %s: %v", options, err)
	}
	vm := goja.New()
	timer := time.AfterFunc(5*time.Second, func() { vm.Interrupt("timeout: the integration did not return within 5 s") })
	defer timer.Stop()
	if _, err := vm.RunProgram(harnessP); err != nil {
		return out, err
	}
	// CommonJS globals, for code that looks for them; the bundle itself hands
	// the package's module over through globalThis.__zastroModule.
	modObj := vm.NewObject()
	exportsObj := vm.NewObject()
	modObj.Set("exports", exportsObj)
	vm.Set("module", modObj)
	vm.Set("exports", exportsObj)
	if _, err := vm.RunString(code); err != nil {
		return out, fmt.Errorf("evaluating the integration: %v", err)
	}
	fn, err := vm.RunProgram(driveP)
	if err != nil {
		return out, err
	}
	callable, ok := goja.AssertFunction(fn)
	if !ok {
		return out, fmt.Errorf("internal: driver is not a function")
	}
	opts, err := vm.RunProgram(optsP)
	if err != nil {
		return out, fmt.Errorf("options %s: %v", options, err)
	}
	mod := vm.Get("__zastroModule")
	if mod == nil || goja.IsUndefined(mod) {
		return out, fmt.Errorf("internal: the bundle did not hand over the package's module")
	}
	res, err := callable(goja.Undefined(), mod, opts)
	if err != nil {
		return out, fmt.Errorf("driving the hooks: %v", err)
	}
	if err := jsonUnmarshal(res.String(), &out); err != nil {
		return out, err
	}
	sort.Strings(out.Hooks)
	return out, nil
}

// quote writes s as a JavaScript string literal.
func quote(s string) string {
	return `"` + quoter.Replace(s) + `"`
}

var quoter = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
