// Package versioning computes the versions of the generated packages and checks
// semver input.
//
// A package built from a git upstream is versioned `astroVersion-commit`, the
// Astro version of the upstream commit followed by the commit's 7-character short
// hash:
//
//	v, _ := versioning.FromCommit("5.7.13", "2dbf999e0c...")
//	// v == "5.7.13-2dbf999"
//
// A package built from the npm registry has no commit; it is versioned
// `astroVersion-<adapter>.<adapterVersion>`, e.g. `7.3.3-node.11.1.6`, which is
// deterministic (same inputs, same version) and names the exact upstream tarball.
package versioning

import (
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// ShortHashLen is the length of the commit hash in a version.
const ShortHashLen = 7

// FromCommit returns `astroVersion-shortHash` for a git-sourced build.
//
// A prerelease identifier made of digits only is numeric in semver and may not
// have a leading zero, so a short hash such as "0123456" would make an invalid
// version. Such a hash is written with a "g" in front ("5.7.13-g0123456", as
// `git describe` does); every other hash is used as it is.
func FromCommit(astroVersion, commit string) (string, error) {
	base, err := release(astroVersion)
	if err != nil {
		return "", err
	}
	if len(commit) < ShortHashLen || !isHex(commit) {
		return "", fmt.Errorf("commit %q: want a hexadecimal git hash of at least %d characters", commit, ShortHashLen)
	}
	short := strings.ToLower(commit[:ShortHashLen])
	if short[0] == '0' && isDigits(short) {
		short = "g" + short
	}
	return check(base + "-" + short)
}

// FromNpm returns `astroVersion-adapter.adapterVersion` for an npm-sourced
// build. The adapter version's own prerelease and build parts are kept as
// further identifiers so that the result stays unique and valid.
func FromNpm(astroVersion, adapter, adapterVersion string) (string, error) {
	base, err := release(astroVersion)
	if err != nil {
		return "", err
	}
	av, err := Parse(adapterVersion)
	if err != nil {
		return "", fmt.Errorf("adapter version: %w", err)
	}
	ids := fmt.Sprintf("%s.%d.%d.%d", adapter, av.Major(), av.Minor(), av.Patch())
	if p := av.Prerelease(); p != "" {
		ids += "." + p
	}
	return check(base + "-" + ids)
}

// Parse validates an exact version (no range, no "v" prefix, no wildcard).
func Parse(v string) (*semver.Version, error) {
	sv, err := semver.StrictNewVersion(v)
	if err != nil {
		return nil, fmt.Errorf("%q is not an exact semantic version (want e.g. 11.1.6): %v", v, err)
	}
	return sv, nil
}

// Constraint parses a semver range such as ">=9.0.0 <10.0.0".
func Constraint(r string) (*semver.Constraints, error) {
	c, err := semver.NewConstraint(r)
	if err != nil {
		return nil, fmt.Errorf("version range %q: %v", r, err)
	}
	return c, nil
}

// InRange reports whether the exact version v satisfies the range r.
func InRange(v, r string) (bool, error) {
	sv, err := Parse(v)
	if err != nil {
		return false, err
	}
	if r == "" {
		return true, nil
	}
	c, err := Constraint(r)
	if err != nil {
		return false, err
	}
	return c.Check(sv), nil
}

// release returns "major.minor.patch" of an exact version.
func release(v string) (string, error) {
	sv, err := Parse(v)
	if err != nil {
		return "", fmt.Errorf("astro version: %w", err)
	}
	return fmt.Sprintf("%d.%d.%d", sv.Major(), sv.Minor(), sv.Patch()), nil
}

func check(v string) (string, error) {
	if _, err := semver.StrictNewVersion(v); err != nil {
		return "", fmt.Errorf("computed version %q is not valid semver: %v", v, err)
	}
	return v, nil
}

func isHex(s string) bool {
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
