package assemble

import (
	"strings"
	"testing"

	"github.com/zastro-dev/zastro/adapters"
	"github.com/zastro-dev/zastro/transform"
)

// The server entry's declaration of upgradeHandler follows the recipe's own
// cutoff: the versions whose JavaScript exports it at module level. Both
// declaration edits are recipe changes: they are recorded, with the files
// before and after, for `zastro diff` and NOTICE.md.
func TestDeclarationsFollowTheRecipeCutoffAndAreRecorded(t *testing.T) {
	recipe, err := transform.RecipeFor("node")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		version string
		want    bool
	}{
		{"9.5.5", false},
		{"10.0.0-beta.4", false},
		{adapters.NodeModuleEntry.Version, true},
		{"10.0.0", true},
		{"11.0.0-beta.1", true},
		{"11.1.6", true},
	}
	for _, c := range cases {
		index := []byte("export default function integration(): unknown;\n")
		files := map[string][]byte{
			"dist/index.d.ts":           index,
			"dist/server.d.ts":          []byte("export declare function createExports(): unknown;\n"),
			"dist/zastro/node/env.d.ts": []byte("export {};\n"),
			"dist/types.d.ts":           []byte("export type X = 1;\n"),
		}
		res := Result{Before: map[string][]byte{}, After: map[string][]byte{}}
		if msgs := declarations(&res, recipe, files, c.version); len(msgs) > 0 {
			t.Fatalf("%s: %v", c.version, msgs)
		}
		got := strings.Contains(string(files["dist/server.d.ts"]), "upgradeHandler")
		if got != c.want {
			t.Errorf("%s: upgradeHandler declared = %v, want %v", c.version, got, c.want)
		}
		if !strings.Contains(string(files["dist/index.d.ts"]), `/// <reference path="./zastro/node/env.d.ts" />`) {
			t.Errorf("%s: dist/index.d.ts does not reference the runtime's types:\n%s", c.version, files["dist/index.d.ts"])
		}
		steps := map[string]bool{}
		for _, ch := range res.Changes {
			steps[ch.Step] = true
		}
		if !steps["node/types-runtime-reference"] || steps["node/types-upgrade-handler"] != c.want {
			t.Errorf("%s: recorded changes %v", c.version, res.Changes)
		}
		if string(res.Before["dist/index.d.ts"]) != string(index) || string(res.After["dist/index.d.ts"]) != string(files["dist/index.d.ts"]) {
			t.Errorf("%s: dist/index.d.ts before/after not recorded", c.version)
		}
		if _, ok := res.After["dist/zastro/node/env.d.ts"]; ok {
			t.Errorf("%s: the runtime's own declarations went through the recipe", c.version)
		}
	}
}
