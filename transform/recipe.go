package transform

import (
	"fmt"
	"strings"

	"github.com/zastro-dev/zastro/adapters"
	"github.com/zastro-dev/zastro/transform/engine"
)

// recipes are the recipes by adapter name (the descriptor's, package
// adapters): adding an adapter means adding its descriptor and its recipe.
var recipes = map[string]func() engine.Recipe{
	adapters.Node.Name:       nodeRecipe,
	adapters.Cloudflare.Name: cloudflareRecipe,
}

// RecipeFor returns the recipe of an adapter: "node" or "cloudflare".
func RecipeFor(adapter string) (engine.Recipe, error) {
	if r, ok := recipes[adapter]; ok {
		return r(), nil
	}
	var known []string
	for _, d := range adapters.All() {
		if _, ok := recipes[d.Name]; ok {
			known = append(known, d.Name)
		}
	}
	return engine.Recipe{}, fmt.Errorf("no recipe for adapter %q (known: %s)", adapter, strings.Join(known, ", "))
}

// newRecipe makes the recipe of an adapter from its descriptor and steps.
func newRecipe(d adapters.Adapter, steps, declarations []engine.Step) engine.Recipe {
	return engine.Recipe{
		Adapter: d.Name, Package: d.Package, NewPackage: d.Generated, Supported: d.Supported,
		Steps:        append([]engine.Step(nil), steps...),
		Declarations: append([]engine.Step(nil), declarations...),
	}
}
