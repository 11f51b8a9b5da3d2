package versioning

import (
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"
)

func TestFromCommit(t *testing.T) {
	tests := []struct {
		astro, commit, want, err string
	}{
		{"5.7.13", "2dbf999e0c8d1f0a6b0c6f0e5c3a2b1d0e9f8a7b", "5.7.13-2dbf999", ""},
		{"7.2.4", "8a31cba625a23d886614172e1d3b02b8eb896a18", "7.2.4-8a31cba", ""},
		{"5.7.13", "0123456789abcdef0123456789abcdef01234567", "5.7.13-g0123456", ""},
		{"5.7.13", "1234567aaaa", "5.7.13-1234567", ""},       // digits only, no leading zero: valid numeric
		{"5.7.13", "ABCDEF0123", "5.7.13-abcdef0", ""},        // lower-cased
		{"5.7.13-beta.1", "2dbf999e0c", "5.7.13-2dbf999", ""}, // only the release part of astro
		{"5.7", "2dbf999e0c", "", "not an exact semantic version"},
		{"5.7.13", "2dbf9", "", "at least 7"},
		{"5.7.13", "zzzzzzzzzz", "", "hexadecimal"},
	}
	for _, tt := range tests {
		got, err := FromCommit(tt.astro, tt.commit)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("FromCommit(%q,%q) err = %v, want %q", tt.astro, tt.commit, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("FromCommit(%q,%q) = %q, %v; want %q", tt.astro, tt.commit, got, err, tt.want)
		}
	}
}

// Every 7-digit hash with a leading zero must give a valid version.
func TestFromCommitLeadingZeroDigits(t *testing.T) {
	for _, h := range []string{"0000000", "0999999", "0123456"} {
		v, err := FromCommit("4.16.0", h+"abc")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := semver.StrictNewVersion(v); err != nil {
			t.Errorf("%s: %v", v, err)
		}
	}
}

func TestFromNpm(t *testing.T) {
	tests := []struct{ astro, adapter, ver, want, err string }{
		{"7.3.3", "node", "11.1.6", "7.3.3-node.11.1.6", ""},
		{"4.16.18", "cloudflare", "11.2.0", "4.16.18-cloudflare.11.2.0", ""},
		{"5.0.0", "node", "9.0.0-beta.2", "5.0.0-node.9.0.0.beta.2", ""},
		{"5.0.0", "node", "^9.0.0", "", "not an exact"},
		{"latest", "node", "9.0.0", "", "not an exact"},
	}
	for _, tt := range tests {
		got, err := FromNpm(tt.astro, tt.adapter, tt.ver)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("FromNpm(%q) err = %v, want %q", tt.ver, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("FromNpm = %q, %v; want %q", got, err, tt.want)
		}
	}
}

func TestInRange(t *testing.T) {
	ok, err := InRange("9.5.5", ">=9.0.0 <10.0.0")
	if err != nil || !ok {
		t.Fatalf("9.5.5 in 9.x: %v %v", ok, err)
	}
	ok, err = InRange("10.0.0", ">=9.0.0 <10.0.0")
	if err != nil || ok {
		t.Fatalf("10.0.0 in 9.x: %v %v", ok, err)
	}
	if _, err := InRange("9.x", ">=9"); err == nil {
		t.Fatal("9.x accepted as exact version")
	}
	if _, err := InRange("9.0.0", ">=>9"); err == nil {
		t.Fatal("bad range accepted")
	}
}
