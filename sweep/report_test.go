package sweep

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func results(spec string) []Result {
	var rs []Result
	for _, f := range strings.Fields(spec) {
		v, st, _ := strings.Cut(f, "=")
		rs = append(rs, Result{Version: v, Status: Status(st)})
	}
	return rs
}

func TestMeasured(t *testing.T) {
	cases := []struct{ spec, want string }{
		{"", ""},
		{"1.0.0=fail 2.0.0=fail", ""},
		{"1.0.0=fail 8.0.0=pass 9.0.0=pass", ">=8.0.0"},
		{"8.0.0=pass 8.1.0=fail 9.0.0=pass 9.1.0=pass", ">=8.0.0 <8.1.0 || >=9.0.0"},
		{"8.0.0=pass 9.0.0=error", ">=8.0.0 <9.0.0"},
		// Pre-releases are not measured, neither ending nor starting a run.
		{"8.0.0=pass 9.0.0-beta.1=fail 9.0.0=pass", ">=8.0.0"},
		{"0.0.0-snapshot-1=pass 1.0.0=fail", ""},
		// Order of the input does not matter; 8.10.0 sorts after 8.9.0.
		{"8.10.0=pass 8.9.0=fail", ">=8.10.0"},
	}
	for _, c := range cases {
		if got := Measured(results(c.spec)); got != c.want {
			t.Errorf("Measured(%s) = %q, want %q", c.spec, got, c.want)
		}
	}
}

func TestDisagreements(t *testing.T) {
	rs := results("7.0.0=fail 8.0.0=pass 8.1.0=fail 9.0.0-beta.1=fail 9.0.0=pass 9.1.0=error")
	cases := []struct {
		declared string
		want     []string
	}{
		{"", nil},
		{">=8.0.0 <8.1.0 || >=9.0.0 <9.1.0", nil},
		{">=8.0.0", []string{"8.1.0", "9.1.0"}},
		{">=7.0.0 <8.1.0", []string{"7.0.0"}},
		// A range that names a pre-release takes in that line's pre-releases.
		{">=9.0.0-0 <9.1.0", []string{"9.0.0-beta.1"}},
	}
	for _, c := range cases {
		dis, err := Disagreements(c.declared, rs)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range dis {
			got = append(got, r.Version)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("Disagreements(%q) = %v, want %v", c.declared, got, c.want)
		}
	}
	if _, err := Disagreements("newest", rs); err == nil {
		t.Error("an invalid declared range is not reported")
	}
	rep := &Report{Supported: ">=8.0.0", Results: rs}
	if n := len(rep.Disagreements()); n != 2 {
		t.Errorf("Report.Disagreements: %d, want 2", n)
	}
}

func TestStretches(t *testing.T) {
	rs := []Result{
		{Version: "1.0.0", Status: Fail, Stage: "transform", Step: "a", Error: "x"},
		{Version: "1.1.0", Status: Fail, Stage: "transform", Step: "a", Error: "x"},
		{Version: "2.0.0", Status: Fail, Stage: "transform", Step: "b", Error: "x"},
		{Version: "3.0.0", Status: Pass},
		{Version: "3.1.0", Status: Pass, Changes: 4}, // details that are not the outcome do not split
	}
	var got []string
	for _, s := range Stretches(rs) {
		got = append(got, s.Versions()+" "+string(s.Status)+" "+s.Step)
	}
	want := []string{"1.0.0 – 1.1.0 (2) fail a", "2.0.0 fail b", "3.0.0 – 3.1.0 (2) pass "}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("stretches = %q, want %q", got, want)
	}
}

func TestMergeSaveLoad(t *testing.T) {
	old := &Report{Adapter: "node", Package: "@astrojs/node", Supported: ">=8.0.0", Date: "2026-01-01",
		Results: results("7.0.0=fail 8.0.0=pass 8.1.0=fail")}
	rep := &Report{Adapter: "node", Package: "@astrojs/node", Supported: ">=8.0.0", Date: "2026-02-02", Published: 4,
		Results: results("8.1.0=pass 9.0.0=pass")}
	m := Merge(old, rep)
	var got []string
	for _, r := range m.Results {
		got = append(got, r.Version+"="+string(r.Status))
	}
	if want := []string{"7.0.0=fail", "8.0.0=pass", "8.1.0=pass", "9.0.0=pass"}; !reflect.DeepEqual(got, want) {
		t.Errorf("merged = %v, want %v", got, want)
	}
	if m.Measured != ">=8.0.0" || m.Date != "2026-02-02" || m.Published != 4 {
		t.Errorf("merged header: %+v", m)
	}
	if len(rep.Results) != 2 {
		t.Error("Merge changed its input")
	}
	if other := Merge(&Report{Adapter: "cloudflare", Results: results("1.0.0=pass")}, rep); len(other.Results) != 2 {
		t.Error("Merge took another adapter's results")
	}

	dir := t.TempDir()
	if err := Save(dir, m); err != nil {
		t.Fatal(err)
	}
	back, err := Load(ResultsFile(dir, "node"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, m) {
		t.Errorf("Load(Save(r)) = %+v\nwant %+v", back, m)
	}
	md, err := os.ReadFile(TableFile(dir, "node"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| 7.0.0 | fail |", "| 8.0.0 – 9.0.0 (3) | pass |", "measured range (runs of passing releases): `>=8.0.0`"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("table lacks %q:\n%s", want, md)
		}
	}
	if _, err := Load(filepath.Join(dir, "missing.json")); !os.IsNotExist(err) {
		t.Errorf("Load of a missing file: %v", err)
	}
}

func TestCell(t *testing.T) {
	if got := cell("a|b\nc"); got != `a\|b c` {
		t.Errorf("cell = %q", got)
	}
	long := strings.Repeat("é", 200)
	if got := cell(long); len([]rune(got)) != 160 || !strings.HasSuffix(got, "...") {
		t.Errorf("cell of 200 runes = %d runes", len([]rune(got)))
	}
}

func TestErrorsLeaveOutScriptPositions(t *testing.T) {
	in := "verify: evaluate: driving the hooks: TypeError: Cannot read property 'session' of undefined at astro:config:setup (<eval>:2585:33(35))"
	want := "verify: evaluate: driving the hooks: TypeError: Cannot read property 'session' of undefined at astro:config:setup"
	if got := evalPosition.ReplaceAllString(in, ""); got != want {
		t.Errorf("got %q", got)
	}
}
