package build

import (
	"strings"
	"testing"

	"github.com/zastro-dev/zastro/adapters"
)

// The server entry's declaration of upgradeHandler follows the recipe's own
// cutoff: the versions whose JavaScript exports it at module level.
func TestLinkTypesDeclaresUpgradeHandlerFromTheRecipeCutoff(t *testing.T) {
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
		files := map[string][]byte{
			"dist/index.d.ts":  []byte("export default function integration(): unknown;\n"),
			"dist/server.d.ts": []byte("export declare function createExports(): unknown;\n"),
		}
		dts := map[string][]byte{"zastro/node/env.d.ts": nil}
		if err := linkTypes(files, dts, "node", c.version); err != nil {
			t.Fatalf("%s: %v", c.version, err)
		}
		got := strings.Contains(string(files["dist/server.d.ts"]), "upgradeHandler")
		if got != c.want {
			t.Errorf("%s: upgradeHandler declared = %v, want %v", c.version, got, c.want)
		}
	}
}
