package verify

import (
	"strings"
	"testing"
)

// good is a small package shaped like a generated zastro-websockets-node.
func good() map[string][]byte {
	return map[string][]byte{
		"dist/index.js": []byte(`import { AstroError } from "astro/errors";
import { setupDevServer } from "./zastro/node/index.js";
function getAdapter() {
  return { name: "zastro-websockets-node", serverEntrypoint: "zastro-websockets-node/server.js", previewEntrypoint: "zastro-websockets-node/preview.js" };
}
export default function createIntegration(userOptions) {
  if (!userOptions?.mode) throw new AstroError("mode");
  return {
    name: "zastro-websockets-node",
    hooks: {
      "astro:server:setup": ({ server }) => setupDevServer(server, userOptions),
      "astro:config:done": ({ setAdapter }) => setAdapter(getAdapter()),
    },
  };
}
`),
		"dist/zastro/node/index.js": []byte(`import { WebSocketServer } from "ws";
export function setupDevServer(server) {
  const wss = new WebSocketServer({ noServer: true });
  wss.on("headers", () => {});
  server.middlewares.stack.unshift({ route: "", handle: () => {} });
  server.httpServer.on("upgrade", () => {});
}
export function createUpgradeHandler(h) { return h; }
`),
		"dist/server.js": []byte(`import { createUpgradeHandler } from "./zastro/node/index.js";
import * as options from "virtual:astro-node:config";
const handler = (req, res) => {};
const upgradeHandler = createUpgradeHandler(handler, options);
export { handler, upgradeHandler, options };
`),
	}
}

func TestCheck(t *testing.T) {
	want, err := For("node")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(map[string][]byte)
		want   []string // substrings of the problems; none = passes
	}{
		{"good", func(map[string][]byte) {}, nil},
		{"old integration name", func(f map[string][]byte) {
			f["dist/index.js"] = []byte(strings.Replace(string(f["dist/index.js"]), `name: "zastro-websockets-node",
    hooks`, `name: "@astrojs/node",
    hooks`, 1))
		}, []string{`integration name: got "@astrojs/node"`}},
		{"server entrypoint not renamed", func(f map[string][]byte) {
			f["dist/index.js"] = []byte(strings.Replace(string(f["dist/index.js"]), `serverEntrypoint: "zastro-websockets-node/server.js"`, `serverEntrypoint: "@astrojs/node/server.js"`, 1))
		}, []string{"server entrypoint"}},
		{"no dev hook", func(f map[string][]byte) {
			f["dist/index.js"] = []byte(strings.Replace(string(f["dist/index.js"]), `"astro:server:setup": ({ server }) => setupDevServer(server, userOptions),`, "", 1))
		}, []string{"no astro:server:setup hook"}},
		{"dev hook without upgrade listener", func(f map[string][]byte) {
			f["dist/zastro/node/index.js"] = []byte(strings.Replace(string(f["dist/zastro/node/index.js"]), `server.httpServer.on("upgrade", () => {});`, "", 1))
		}, []string{`did not listen for "upgrade"`}},
		{"no upgradeHandler export", func(f map[string][]byte) {
			f["dist/server.js"] = []byte(strings.Replace(string(f["dist/server.js"]), "export { handler, upgradeHandler, options };", "export { handler, options };", 1))
		}, []string{`"upgradeHandler" missing`}},
		{"import of a file the package lacks", func(f map[string][]byte) {
			delete(f, "dist/zastro/node/index.js")
		}, []string{"does not resolve to a file of the package"}},
		{"integration throws", func(f map[string][]byte) {
			f["dist/index.js"] = []byte(`export default function () { throw new Error("boom"); }`)
		}, []string{"boom"}},
		{"missing entry", func(f map[string][]byte) { delete(f, "dist/index.js") }, []string{"dist/index.js is missing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := good()
			tt.change(files)
			probs := Check(want, files)
			var text []string
			for _, p := range probs {
				text = append(text, p.String())
			}
			all := strings.Join(text, "\n")
			if len(tt.want) == 0 && len(probs) > 0 {
				t.Fatalf("unexpected problems:\n%s", all)
			}
			if len(tt.want) > 0 && len(probs) == 0 {
				t.Fatalf("no problem found, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("problems lack %q:\n%s", w, all)
				}
			}
		})
	}
}

// An integration that never returns is interrupted, not waited for.
func TestCheckInterruptsEndlessLoop(t *testing.T) {
	want, _ := For("node")
	files := good()
	files["dist/index.js"] = []byte(`export default function () { for (;;) {} }`)
	probs := Check(want, files)
	if len(probs) == 0 || !strings.Contains(probs[0].String(), "timeout") {
		t.Fatalf("problems %v, want a timeout", probs)
	}
}

func BenchmarkCheck(b *testing.B) {
	want, _ := For("node")
	files := good()
	for i := 0; i < b.N; i++ {
		if p := Check(want, files); len(p) > 0 {
			b.Fatal(p)
		}
	}
}
