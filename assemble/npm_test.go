package assemble

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zastro-dev/zastro/internal/npmretry"
	"github.com/zastro-dev/zastro/pack"
	"github.com/zastro-dev/zastro/upstream"
)

// TestRealNpmAdapters builds the package from each generation's real npm
// tarball, installs it into an empty folder with npm, and asks node what the
// package's default export creates.
func TestRealNpmAdapters(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the npm registry and node")
	}
	if _, err := exec.LookPath("npm"); err != nil {
		t.Fatal("npm is required for this test")
	}
	cache := filepath.Join(t.TempDir(), "cache")
	for _, v := range []string{"11.1.6", "10.1.4", "9.5.5", "8.3.4"} {
		t.Run(v, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			out := t.TempDir()
			res := Run(ctx, Options{
				Adapter:  "node",
				Source:   &upstream.Npm{Version: v, Registry: upstream.RegistryURL("", os.Getenv), CacheDir: cache},
				Out:      out,
				NpmCache: cache,
			})
			for _, m := range res.Errors {
				t.Error(m.String())
			}
			if res.Failed() {
				t.FailNow()
			}
			var pj struct {
				Name, Version string
				Zastro        map[string]string
				Dependencies  map[string]string
				Scripts       map[string]string
			}
			readJSON(t, filepath.Join(res.Dir, "package.json"), &pj)
			if pj.Name != "zastro-websockets-node" || pj.Zastro["adapterVersion"] != v || pj.Zastro["source"] != "npm" || !strings.HasPrefix(pj.Zastro["integrity"], "sha512-") {
				t.Errorf("package.json: %+v", pj)
			}
			if !strings.Contains(pj.Version, "-node."+v) {
				t.Errorf("version %q does not name the adapter version %s", pj.Version, v)
			}
			if pj.Scripts != nil {
				t.Errorf("scripts kept: %v", pj.Scripts)
			}
			for k, spec := range pj.Dependencies {
				if strings.HasPrefix(spec, "workspace:") {
					t.Errorf("dependency %s still %s", k, spec)
				}
			}

			// Install the tarball, as a user would: a folder install would be
			// a symlink, resolving imports from the package's own folder.
			tgz, err := pack.Tarball(res.Files)
			if err != nil {
				t.Fatal(err)
			}
			proj := t.TempDir()
			tgzPath := filepath.Join(t.TempDir(), pack.FileName(res.Name, res.Version))
			if err := os.WriteFile(tgzPath, tgz, 0o644); err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(proj, "package.json"), `{"name":"probe","private":true,"type":"module"}`)
			npm(t, proj, "install", "--no-audit", "--no-fund", "--prefer-offline", "--omit=peer", "--ignore-scripts", tgzPath)
			// The integration module imports astro only for types and errors at
			// module level; stub "astro/*" so node can load it without Astro.
			stubAstro(t, proj)
			probe := `
import createIntegration from "zastro-websockets-node";
let adapter;
const integration = createIntegration({ mode: "standalone" });
const hooks = integration.hooks;
const config = { build: { client: new URL("file:///c/"), server: new URL("file:///s/") }, server: { host: false, port: 4321 }, image: { endpoint: {} }, session: false, cacheDir: new URL("file:///cache/"), security: {} };
await hooks["astro:config:setup"]?.({ updateConfig() {}, config, logger: { info() {}, warn() {} }, command: "build" });
await hooks["astro:config:done"]?.({ setAdapter(a) { adapter = a }, config, logger: { info() {}, warn() {} }, buildOutput: "server" });
console.log(JSON.stringify({ name: integration.name, adapter: adapter.name, server: adapter.serverEntrypoint, preview: adapter.previewEntrypoint }));
`
			writeFile(t, filepath.Join(proj, "probe.mjs"), probe)
			cmd := exec.CommandContext(ctx, "node", "probe.mjs")
			cmd.Dir = proj
			outb, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("node probe: %v\n%s", err, outb)
			}
			var got map[string]string
			if err := json.Unmarshal(lastLine(outb), &got); err != nil {
				t.Fatalf("probe output %q: %v", outb, err)
			}
			want := map[string]string{
				"name":    "zastro-websockets-node",
				"adapter": "zastro-websockets-node",
				"server":  "zastro-websockets-node/server.js",
				"preview": "zastro-websockets-node/preview.js",
			}
			for k, w := range want {
				if got[k] != w {
					t.Errorf("%s = %q, want %q", k, got[k], w)
				}
			}
		})
	}
}

// stubAstro installs a tiny "astro" package with the modules the integration
// file imports, enough to evaluate its hooks without the real framework.
func stubAstro(t *testing.T, proj string) {
	dir := filepath.Join(proj, "node_modules", "astro")
	writeFile(t, filepath.Join(dir, "package.json"), `{"name":"astro","version":"0.0.0-stub","type":"module","exports":{"./errors":"./errors.js","./config":"./config.js","./app/node":"./empty.js","./env/setup":"./empty.js"}}`)
	writeFile(t, filepath.Join(dir, "errors.js"), `export class AstroError extends Error {}`)
	writeFile(t, filepath.Join(dir, "config.js"), `export const sessionDrivers = { fsLite: (o) => ({ name: "fs-lite", options: o }) };`)
	writeFile(t, filepath.Join(dir, "empty.js"), `export {};`)
}

func npm(t *testing.T, dir string, args ...string) {
	t.Helper()
	if out, err := npmretry.Run(context.Background(), npmretry.Options{Dir: dir, Timeout: 4 * time.Minute, Logf: t.Logf}, args...); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func lastLine(b []byte) []byte {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return []byte(lines[len(lines)-1])
}
