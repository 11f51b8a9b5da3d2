package sweep

import (
	"os"
	"testing"

	"github.com/zastro-dev/zastro/transform"
	"github.com/zastro-dev/zastro/upstream"
)

// resultsDir holds the last sweep of each adapter, committed.
const resultsDir = "results"

// TestDeclaredRangesAgreeWithSweep is the check between the recipes and the
// last sweep, without network: a recipe's Supported range must not include a
// version that the sweep saw fail, must include a version that passed, and
// the committed table must state the range the recipe declares now.
func TestDeclaredRangesAgreeWithSweep(t *testing.T) {
	checked := 0
	for _, a := range upstream.AdapterNames() {
		t.Run(a, func(t *testing.T) {
			recipe, err := transform.RecipeFor(a)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := Load(ResultsFile(resultsDir, a))
			if os.IsNotExist(err) {
				if recipe.Supported != "" {
					t.Fatalf("the %s recipe declares Supported %q but there is no sweep of it (%s): run 'zastro sweep %s'", a, recipe.Supported, ResultsFile(resultsDir, a), a)
				}
				t.Logf("%s: no Supported range declared and no sweep yet", a)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checked++
			if rep.Adapter != a || rep.Package != recipe.Package {
				t.Fatalf("%s holds a sweep of %s (%s)", ResultsFile(resultsDir, a), rep.Package, rep.Adapter)
			}
			if recipe.Supported == "" {
				t.Logf("%s: the recipe declares no Supported range; the sweep measured %q", a, rep.Measured)
				return
			}
			dis, err := Disagreements(recipe.Supported, rep.Results)
			if err != nil {
				t.Fatalf("the %s recipe's Supported: %v", a, err)
			}
			for _, r := range dis {
				where := r.Stage
				if r.Step != "" {
					where += " " + r.Step
				}
				if r.File != "" {
					where += " " + fileLine(r)
				}
				t.Errorf("%s@%s is in the declared range %q but the sweep of %s saw it %s (%s): %s",
					recipe.Package, r.Version, recipe.Supported, rep.Date, r.Status, where, r.Error)
			}
			passing := 0
			for _, r := range rep.Results {
				if in, _ := InRange(recipe.Supported, r.Version); in && r.Status == Pass {
					passing++
				}
			}
			if passing == 0 {
				t.Errorf("no swept version in the declared range %q passed: the range is not a measured one", recipe.Supported)
			}
			if rep.Supported != recipe.Supported {
				t.Errorf("%s was written for the declared range %q, the recipe now declares %q: run 'zastro sweep %s' to check and record it",
					ResultsFile(resultsDir, a), rep.Supported, recipe.Supported, a)
			}
			if m := Measured(rep.Results); rep.Measured != m {
				t.Errorf("%s: measured %q, the results measure %q", ResultsFile(resultsDir, a), rep.Measured, m)
			}
			t.Logf("%s: declared %q, measured %q, %d swept versions in range pass", a, recipe.Supported, rep.Measured, passing)
		})
	}
	if checked == 0 {
		t.Fatalf("no sweep results in %s", resultsDir)
	}
}

// TestTablesMatchResults keeps the Markdown tables in step with the JSON
// results they are written from.
func TestTablesMatchResults(t *testing.T) {
	for _, a := range upstream.AdapterNames() {
		rep, err := Load(ResultsFile(resultsDir, a))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		md, err := os.ReadFile(TableFile(resultsDir, a))
		if err != nil {
			t.Fatalf("%s: %v", a, err)
		}
		if string(md) != string(rep.Markdown()) {
			t.Errorf("%s is not the table of %s: run 'zastro sweep %s' (never edit either by hand)", TableFile(resultsDir, a), ResultsFile(resultsDir, a), a)
		}
	}
}
