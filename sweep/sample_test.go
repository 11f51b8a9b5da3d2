package sweep

import (
	"context"
	"fmt"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/zastro-dev/zastro/transform"
	"github.com/zastro-dev/zastro/upstream"
)

// TestResweepSample sweeps a sample of real versions from the npm registry
// again and compares with the committed results: the oldest and newest swept
// release of each major in the declared range, and the newest failing
// release below it. A recipe change that breaks (or fixes) one of them shows
// here before the next full sweep.
func TestResweepSample(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the npm registry")
	}
	for _, a := range upstream.AdapterNames() {
		rep, err := Load(ResultsFile(resultsDir, a))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		recipe, err := transform.RecipeFor(a)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(a, func(t *testing.T) {
			supported := recipe.Supported
			if supported == "" {
				supported = rep.Measured // a recipe that declares no range yet
			}
			sample := sampleOf(supported, rep.Results)
			if len(sample) == 0 {
				t.Fatalf("no version to sample in %s", ResultsFile(resultsDir, a))
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			got, err := Run(ctx, Options{Adapter: a, Versions: sample, CacheDir: t.TempDir(), Registry: upstream.RegistryURL("", nil)})
			if err != nil {
				t.Fatal(err)
			}
			was := map[string]Result{}
			for _, r := range rep.Results {
				was[r.Version] = r
			}
			for _, r := range got.Results {
				w := was[r.Version]
				if r.Status != w.Status || r.Stage != w.Stage || r.Step != w.Step {
					t.Errorf("%s@%s: %s %s %s now, the committed sweep says %s %s %s (%s): run 'zastro sweep %s'",
						rep.Package, r.Version, r.Status, r.Stage, r.Step, w.Status, w.Stage, w.Step, r.Error, a)
				}
			}
			t.Logf("%s: re-swept %v in %s", a, sample, got.Elapsed.Round(time.Millisecond))

			// Releases published since the sweep are news, not a failure.
			var unswept []string
			pub, err := upstream.ListVersions(ctx, upstream.RegistryURL("", nil), nil, upstream.Adapter{Name: a, Package: rep.Package})
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range pub.Versions {
				if _, ok := was[v]; !ok {
					unswept = append(unswept, v)
				}
			}
			if len(unswept) > 0 {
				t.Logf("%s: published since the last sweep (%s): %v: run 'zastro sweep %s --range \">=%s\"'", a, rep.Date, unswept, a, unswept[0])
			}
		})
	}
}

// sampleOf picks the versions to re-sweep (see TestResweepSample).
func sampleOf(supported string, rs []Result) []string {
	pick := map[string]bool{}
	type span struct{ lo, hi *semver.Version }
	majors := map[uint64]*span{}
	var belowFail *semver.Version
	for _, r := range rs {
		v, err := semver.StrictNewVersion(r.Version)
		if err != nil || v.Prerelease() != "" {
			continue
		}
		in := false
		if supported != "" {
			in, _ = InRange(supported, r.Version)
		}
		if !in {
			if r.Status == Fail && (belowFail == nil || belowFail.LessThan(v)) {
				belowFail = v
			}
			continue
		}
		s := majors[v.Major()]
		if s == nil {
			majors[v.Major()] = &span{v, v}
			continue
		}
		if v.LessThan(s.lo) {
			s.lo = v
		}
		if s.hi.LessThan(v) {
			s.hi = v
		}
	}
	for _, s := range majors {
		pick[s.lo.Original()] = true
		pick[s.hi.Original()] = true
	}
	if belowFail != nil {
		pick[belowFail.Original()] = true
	}
	out := make([]string, 0, len(pick))
	for v := range pick {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return versionLess(out[i], out[j]) })
	return out
}

func TestSampleOf(t *testing.T) {
	rs := results("1.0.0=fail 7.0.4=fail 8.0.0=pass 8.3.4=pass 8.1.0=pass 9.0.0-beta.1=pass 9.0.0=pass 0.0.0-x=pass")
	got := fmt.Sprint(sampleOf(">=8.0.0", rs))
	if want := "[7.0.4 8.0.0 8.3.4 9.0.0]"; got != want {
		t.Errorf("sample = %s, want %s", got, want)
	}
}
