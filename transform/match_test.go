package transform

import (
	"strings"
	"testing"

	"github.com/zastro-dev/zastro/adapters"
	"github.com/zastro-dev/zastro/transform/engine"
)

// Every version range of the shipped recipes is a cutoff of the adapter's
// descriptor, so that transform, assemble and verify cannot disagree.
func TestRecipeRangesComeFromTheDescriptor(t *testing.T) {
	for _, d := range adapters.All() {
		r, err := RecipeFor(d.Name)
		if err != nil {
			t.Fatal(err)
		}
		if r.Package != d.Package || r.NewPackage != d.Generated || r.Supported != d.Supported {
			t.Errorf("%s: recipe %s -> %s (%s), descriptor %s -> %s (%s)", d.Name, r.Package, r.NewPackage, r.Supported, d.Package, d.Generated, d.Supported)
		}
		ranges := map[string]bool{"": true}
		for _, c := range d.Cutoffs {
			ranges[c.From()], ranges[c.Before()] = true, true
		}
		for _, s := range append(append([]engine.Step(nil), r.Steps...), r.Declarations...) {
			if !ranges[s.Versions] {
				t.Errorf("%s: step %s: range %q is none of the descriptor's cutoffs", d.Name, s.Name, s.Versions)
			}
			if !strings.HasPrefix(s.Name, d.Name+"/") {
				t.Errorf("%s: step %s is not named after its adapter", d.Name, s.Name)
			}
		}
	}
}
