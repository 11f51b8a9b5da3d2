package templates

import (
	"strings"
	"testing"
)

// TestExportsShipped checks that every package subpath names a runtime file
// that Files hands out and a declaration file that Types hands out.
func TestExportsShipped(t *testing.T) {
	for _, adapter := range Adapters() {
		files, err := Files(adapter)
		if err != nil {
			t.Fatal(err)
		}
		types, err := Types(adapter)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range Exports(adapter) {
			if !strings.HasPrefix(e.Path, "./") || strings.HasSuffix(e.Path, ".js") {
				t.Errorf("%s: subpath %q must look like ./name", adapter, e.Path)
			}
			source := strings.TrimSuffix(strings.TrimPrefix(e.Default, "./dist/"), ".js") + ".ts"
			if files[source] == nil {
				t.Errorf("%s: %s exports %s, but there is no runtime file %s", adapter, e.Path, e.Default, source)
			}
			declaration := strings.TrimPrefix(e.Types, "./dist/")
			if types[declaration] == nil {
				t.Errorf("%s: %s exports types %s, but there is no declaration file %s", adapter, e.Path, e.Types, declaration)
			}
		}
	}
	if len(Exports("node")) == 0 {
		t.Error("node has no subpath exports; want ./connection-manager and ./stats")
	}
	if len(Exports("deno")) != 0 {
		t.Error("an unknown adapter has subpath exports")
	}
}
