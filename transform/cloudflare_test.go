package transform

import (
	"strings"
	"testing"

	"github.com/zastro-dev/zastro/transform/engine"
)

// TestCloudflareHandlerFile checks which file the WebSocket steps edit in
// each layout: utils/handler when upstream has it, else the server entry
// (server.advanced in 10.0).
func TestCloudflareHandlerFile(t *testing.T) {
	fx := loadFixture(t, "cloudflare-11")
	server := fx.files["dist/entrypoints/server.js"]
	for _, tc := range []struct {
		name, version, file string
	}{
		{"server entry (10.2 to 12.5)", "11.2.0", "dist/entrypoints/server.js"},
		{"server.advanced entry (10.0, 10.1)", "10.0.0", "dist/entrypoints/server.advanced.js"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string][]byte{"package.json": fx.files["package.json"], "dist/index.js": fx.files["dist/index.js"], tc.file: server}
			res := engine.Apply(cloudflareRecipe(), engine.Input{Adapter: "cloudflare", Version: tc.version, Files: files})
			if len(res.Errors) > 0 {
				t.Fatalf("unexpected errors:\n%s", render(res.Errors))
			}
			out := string(res.Files[tc.file])
			for _, want := range []string{
				`from "../zastro/cloudflare/index.js"`,
				"__zastroPrepareLocals(request, locals);\n        const response = await app.render(",
				"__zastroFinishResponse(request, response",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("%s lacks %q:\n%s", tc.file, want, out)
				}
			}
		})
	}
}

// TestCloudflareStepErrors: upstream changes that the WebSocket steps must
// report rather than half-patch.
func TestCloudflareStepErrors(t *testing.T) {
	base := loadFixture(t, "cloudflare-12")
	handler := string(base.files["dist/utils/handler.js"])
	index := string(base.files["dist/index.js"])
	tests := []struct {
		name    string
		handler string
		index   string
		want    []string // substrings of the error messages
	}{
		{
			name:    "render moved out of the handler",
			handler: strings.Replace(handler, "await app.render(request,", "await renderRoute(app, request,", 1),
			want:    []string{`step "cloudflare/locals-render": expected 1, found 0`, `step "cloudflare/upgrade-response": expected 1, found 0`},
		},
		{
			name:    "locals built inline",
			handler: strings.Replace(handler, "    locals,\n", "    locals: { ...locals },\n", 1),
			want:    []string{"app.render's locals is not a variable"},
		},
		{
			name:    "a second return after rendering",
			handler: strings.Replace(handler, "  if (app.setCookieHeaders) {", "  if (response.status === 304) return response;\n  if (app.setCookieHeaders) {", 1),
			want:    []string{`step "cloudflare/upgrade-response": expected 1, found 2`},
		},
		{
			name:  "dev hook written as a method",
			index: strings.Replace(index, `"astro:server:setup": async ({ server }) => {`, `async "astro:server:setup"({ server }) {`, 1),
			want:  []string{`step "cloudflare/dev-server-hook": expected 1, found 0`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string][]byte{}
			for k, v := range base.files {
				files[k] = v
			}
			if tc.handler != "" {
				files["dist/utils/handler.js"] = []byte(tc.handler)
			}
			if tc.index != "" {
				files["dist/index.js"] = []byte(tc.index)
			}
			res := engine.Apply(cloudflareRecipe(), engine.Input{Adapter: "cloudflare", Version: base.version, Files: files})
			got := render(res.Errors)
			if res.Files != nil {
				t.Error("Files is set although the recipe failed")
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("errors lack %q:\n%s", w, got)
				}
			}
		})
	}
}

func TestRuntimeSpecifier(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{"dist/index.js", "./zastro/cloudflare/index.js"},
		{"src/index.ts", "./zastro/cloudflare/index.js"},
		{"dist/utils/handler.js", "../zastro/cloudflare/index.js"},
		{"src/entrypoints/server.ts", "../zastro/cloudflare/index.js"},
		{"dist/a/b/c.js", "../../zastro/cloudflare/index.js"},
	} {
		if got := runtimeSpecifier(tc.file, "zastro/cloudflare/index.js"); got != tc.want {
			t.Errorf("runtimeSpecifier(%q) = %q, want %q", tc.file, got, tc.want)
		}
	}
}
