package verify

import (
	"strings"
	"testing"
)

// cloudflare12 is a small package shaped like a generated
// zastro-websockets-cloudflare of the platform-proxy generations (up to 12.x).
func cloudflare12() map[string][]byte {
	return map[string][]byte{
		"package.json": []byte(`{"name":"zastro-websockets-cloudflare","zastro":{"adapterVersion":"12.6.13"}}`),
		"dist/index.js": []byte(`import { getPlatformProxy } from "wrangler";
import { withDevServer } from "./zastro/cloudflare/dev.js";
export default function createIntegration(args) {
  return {
    name: "zastro-websockets-cloudflare",
    hooks: {
      "astro:config:done": ({ setAdapter }) => setAdapter({ name: "zastro-websockets-cloudflare", serverEntrypoint: "zastro-websockets-cloudflare/entrypoints/server.js", exports: ["default"] }),
      "astro:server:setup": withDevServer(async ({ server }) => { await getPlatformProxy(args?.platformProxy); }),
    },
  };
}
`),
		"dist/zastro/cloudflare/dev.js": []byte(`export function withDevServer(hook) {
  return (params) => { params.server.httpServer.on("upgrade", () => {}); return hook(params); };
}
`),
		"dist/entrypoints/server.js": []byte(`import { App } from "astro/app";
import { handle } from "../utils/handler.js";
export function createExports(manifest) {
  const app = new App(manifest);
  return { default: { fetch: (request, env, context) => handle(manifest, app, request, env, context) } };
}
`),
		"dist/utils/handler.js": []byte(`import { prepareLocals, finishResponse } from "../zastro/cloudflare/index.js";
export async function handle(manifest, app, request, env, context) {
  const locals = { runtime: { env } };
  prepareLocals(request, locals);
  return finishResponse(request, await app.render(request, { locals }));
}
`),
		"dist/zastro/cloudflare/index.js": []byte(`export function prepareLocals(request, locals) { return locals; }
export function finishResponse(request, response) { return response; }
`),
		"dist/zastro/node/index.js": []byte(`import { WebSocketServer } from "ws";
export const server = new WebSocketServer({ noServer: true });
`),
	}
}

func TestCloudflareContract(t *testing.T) {
	tests := []struct {
		name   string
		change func(map[string][]byte)
		want   []string
	}{
		{"good", func(map[string][]byte) {}, nil},
		{"handler not wired to the runtime", func(f map[string][]byte) {
			f["dist/utils/handler.js"] = []byte(`export async function handle(manifest, app, request) { return app.render(request, {}); }`)
		}, []string{"worker runtime: the bundle of dist/entrypoints/server.js does not include dist/zastro/cloudflare/index.js"}},
		{"Node runtime in the worker", func(f map[string][]byte) {
			f["dist/zastro/cloudflare/index.js"] = []byte(`export { server } from "../node/index.js";
export function prepareLocals(request, locals) { return locals; }
export function finishResponse(request, response) { return response; }
`)
		}, []string{"includes dist/zastro/node/index.js: the Node runtime cannot run in a worker"}},
		{"dev hook not wrapped", func(f map[string][]byte) {
			f["dist/zastro/cloudflare/dev.js"] = []byte(`export function withDevServer(hook) { return hook; }`)
		}, []string{`did not listen for "upgrade"`}},
		{"server entrypoint not renamed", func(f map[string][]byte) {
			f["dist/index.js"] = []byte(strings.Replace(string(f["dist/index.js"]), `serverEntrypoint: "zastro-websockets-cloudflare/`, `serverEntrypoint: "@astrojs/cloudflare/`, 1))
		}, []string{"server entrypoint"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files := cloudflare12()
			tc.change(files)
			probs := Package("cloudflare", files)
			var got []string
			for _, p := range probs {
				got = append(got, p.String())
			}
			all := strings.Join(got, "\n")
			if len(tc.want) == 0 && len(probs) > 0 {
				t.Fatalf("unexpected problems:\n%s", all)
			}
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("problems lack %q:\n%s", w, all)
				}
			}
		})
	}
}

func TestCloudflareExpectationsByVersion(t *testing.T) {
	for _, tc := range []struct {
		version, server, preview, serverFile string
		dev                                  bool
	}{
		{"10.0.0", "zastro-websockets-cloudflare/entrypoints/server.advanced.js", "", "dist/entrypoints/server.advanced.js", true},
		{"11.2.0", "zastro-websockets-cloudflare/entrypoints/server.js", "", "dist/entrypoints/server.js", true},
		{"12.6.13", "zastro-websockets-cloudflare/entrypoints/server.js", "", "dist/entrypoints/server.js", true},
		{"10.0.3", "zastro-websockets-cloudflare/entrypoints/server.js", "", "dist/entrypoints/server.js", true},
		{"13.0.0-beta.2", "zastro-websockets-cloudflare/entrypoints/server.js", "zastro-websockets-cloudflare/entrypoints/preview", "dist/entrypoints/server.js", true},
		{"13.0.0-beta.5", "", "zastro-websockets-cloudflare/entrypoints/preview", "dist/entrypoints/server.js", true},
		{"14.3.3", "", "zastro-websockets-cloudflare/entrypoints/preview", "dist/entrypoints/server.js", true},
	} {
		want, err := ForVersion("cloudflare", tc.version)
		if err != nil {
			t.Fatal(err)
		}
		if want.Server != tc.server || want.Preview != tc.preview || want.ServerFile != tc.serverFile || want.DevUpgrade != tc.dev {
			t.Errorf("%s: got server %q preview %q file %q dev %v", tc.version, want.Server, want.Preview, want.ServerFile, want.DevUpgrade)
		}
	}
	if _, err := ForVersion("cloudflare", "not-a-version"); err == nil {
		t.Error("ForVersion accepted an invalid version")
	}
}
