package assemble

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/zastro-dev/zastro/templates"
)

// TestPackageJSONExtraExports checks that the runtime's subpaths are added to
// upstream's exports with types and default conditions, after upstream's own.
func TestPackageJSONExtraExports(t *testing.T) {
	src := []byte(`{"name": "@astrojs/node", "version": "1.0.0", "exports": {".": "./dist/index.js", "./package.json": "./package.json"}}`)
	out, err := packageJSON(src, pkgInfo{
		Upstream:     "@astrojs/node",
		Name:         "zastro-websockets-node",
		Version:      "1.0.0-node.1.0.0",
		ExtraExports: templates.Exports("node"),
	})
	if err != nil {
		t.Fatal(err)
	}
	var pj struct {
		Exports map[string]json.RawMessage `json:"exports"`
	}
	if err := json.Unmarshal(out, &pj); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		".":                    `"./dist/index.js"`,
		"./package.json":       `"./package.json"`,
		"./connection-manager": `{"types":"./dist/zastro/node/connection-manager.d.ts","default":"./dist/zastro/node/connection-manager.js"}`,
		"./stats":              `{"types":"./dist/zastro/node/stats.d.ts","default":"./dist/zastro/node/stats.js"}`,
	}
	if len(pj.Exports) != len(want) {
		t.Errorf("exports has %d entries, want %d:\n%s", len(pj.Exports), len(want), out)
	}
	canonical := func(raw []byte) string {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return "invalid JSON " + string(raw)
		}
		b, _ := json.Marshal(v)
		return string(b)
	}
	for key, value := range want {
		if got := canonical(pj.Exports[key]); got != canonical([]byte(value)) {
			t.Errorf("exports[%q] = %s, want %s", key, got, value)
		}
	}
	if i, j := strings.Index(string(out), `"./package.json"`), strings.Index(string(out), `"./connection-manager"`); i < 0 || j < i {
		t.Errorf("the runtime's subpaths do not follow upstream's exports:\n%s", out)
	}
}

// TestPackageJSONOptionalPeers checks that the runtime's optional packages
// become peer dependencies marked optional, beside upstream's own peers.
func TestPackageJSONOptionalPeers(t *testing.T) {
	src := []byte(`{"name": "@astrojs/node", "version": "1.0.0", "exports": {".": "./dist/index.js"}, "peerDependencies": {"astro": "^5.0.0"}}`)
	out, err := packageJSON(src, pkgInfo{
		Upstream:      "@astrojs/node",
		Name:          "zastro-websockets-node",
		Version:       "1.0.0-node.1.0.0",
		OptionalPeers: templates.OptionalPeers("node"),
	})
	if err != nil {
		t.Fatal(err)
	}
	var pj struct {
		Dependencies         map[string]string          `json:"dependencies"`
		PeerDependencies     map[string]string          `json:"peerDependencies"`
		PeerDependenciesMeta map[string]map[string]bool `json:"peerDependenciesMeta"`
	}
	if err := json.Unmarshal(out, &pj); err != nil {
		t.Fatal(err)
	}
	if pj.PeerDependencies["astro"] != "^5.0.0" {
		t.Errorf("upstream's peer astro = %q, want it kept", pj.PeerDependencies["astro"])
	}
	if pj.PeerDependencies["ioredis"] == "" || !pj.PeerDependenciesMeta["ioredis"]["optional"] {
		t.Errorf("ioredis is not an optional peer dependency:\n%s", out)
	}
	if _, ok := pj.Dependencies["ioredis"]; ok {
		t.Errorf("ioredis must not be a dependency:\n%s", out)
	}
	if pj.PeerDependenciesMeta["astro"] != nil {
		t.Errorf("astro became optional:\n%s", out)
	}
}

// TestPackageJSONOptionalDependencies checks that the runtime's optional
// dependencies (ws's native helpers) land in "optionalDependencies", next to
// upstream's own ones, and never in "dependencies".
func TestPackageJSONOptionalDependencies(t *testing.T) {
	src := []byte(`{"name": "@astrojs/node", "version": "1.0.0", "exports": {".": "./dist/index.js"}, "dependencies": {"send": "^1.0.0"}, "optionalDependencies": {"fsevents": "^2.0.0"}}`)
	out, err := packageJSON(src, pkgInfo{
		Upstream:     "@astrojs/node",
		Name:         "zastro-websockets-node",
		Version:      "1.0.0-node.1.0.0",
		RuntimeDeps:  templates.Dependencies("node"),
		OptionalDeps: templates.OptionalDependencies("node"),
	})
	if err != nil {
		t.Fatal(err)
	}
	var pj struct {
		Dependencies         map[string]string `json:"dependencies"`
		OptionalDependencies map[string]string `json:"optionalDependencies"`
	}
	if err := json.Unmarshal(out, &pj); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"bufferutil", "utf-8-validate"} {
		if pj.OptionalDependencies[name] == "" {
			t.Errorf("optionalDependencies has no %s:\n%s", name, out)
		}
		if _, ok := pj.Dependencies[name]; ok {
			t.Errorf("%s is a hard dependency:\n%s", name, out)
		}
	}
	if pj.OptionalDependencies["fsevents"] != "^2.0.0" || pj.Dependencies["send"] != "^1.0.0" || pj.Dependencies["ws"] == "" {
		t.Errorf("upstream's dependencies or ws lost:\n%s", out)
	}
	plain, err := packageJSON(src, pkgInfo{Upstream: "@astrojs/node", Name: "zastro-websockets-node", Version: "1.0.0-node.1.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(plain), "bufferutil") {
		t.Errorf("optional dependencies added without being asked for:\n%s", plain)
	}
}
