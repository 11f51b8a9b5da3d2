package engine

import (
	"errors"
	"path"
	"strings"
)

// selectFiles picks a step's files from the package's sorted paths: the first
// candidate that names an existing file, or that is a pattern matching at
// least one file (then every file it matches); files matching an except
// pattern are never selected.
func selectFiles(candidates, except, names []string) []string {
	excluded := func(n string) bool {
		for _, e := range except {
			if globMatch(e, n) {
				return true
			}
		}
		return false
	}
	for _, c := range candidates {
		if !isGlob(c) {
			for _, n := range names {
				if n == c && !excluded(n) {
					return []string{c}
				}
			}
			continue
		}
		var out []string
		for _, n := range names {
			if globMatch(c, n) && !excluded(n) {
				out = append(out, n)
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return nil
}

func isGlob(p string) bool { return strings.ContainsAny(p, "*?[{") }

// globMatch matches a slash-separated path against a pattern of path.Match
// segments, where "**" is any number of folders and {a,b} is an alternation.
func globMatch(pattern, name string) bool {
	alts, err := expandBraces(pattern)
	if err != nil {
		return false
	}
	for _, p := range alts {
		if matchSegments(strings.Split(p, "/"), strings.Split(name, "/")) {
			return true
		}
	}
	return false
}

func matchSegments(pat, name []string) bool {
	if len(pat) == 0 {
		return len(name) == 0
	}
	if pat[0] == "**" {
		for i := 0; i <= len(name); i++ {
			if matchSegments(pat[1:], name[i:]) {
				return true
			}
		}
		return false
	}
	if len(name) == 0 {
		return false
	}
	if ok, err := path.Match(pat[0], name[0]); err != nil || !ok {
		return false
	}
	return matchSegments(pat[1:], name[1:])
}

// expandBraces turns "dist/*.{js,mjs}" into "dist/*.js" and "dist/*.mjs".
func expandBraces(p string) ([]string, error) {
	open := strings.IndexByte(p, '{')
	if open < 0 {
		if strings.ContainsRune(p, '}') {
			return nil, errors.New("unbalanced }")
		}
		return []string{p}, nil
	}
	depth, close := 0, -1
	var commas []int
	for i := open; i < len(p) && close < 0; i++ {
		switch p[i] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				close = i
			}
		case ',':
			if depth == 1 {
				commas = append(commas, i)
			}
		}
	}
	if close < 0 {
		return nil, errors.New("unbalanced {")
	}
	var parts []string
	last := open + 1
	for _, c := range commas {
		parts = append(parts, p[last:c])
		last = c + 1
	}
	parts = append(parts, p[last:close])
	var out []string
	for _, part := range parts {
		more, err := expandBraces(p[:open] + part + p[close+1:])
		if err != nil {
			return nil, err
		}
		out = append(out, more...)
	}
	return out, nil
}

// validGlob reports a malformed file pattern.
func validGlob(p string) error {
	if p == "" {
		return errors.New("empty")
	}
	alts, err := expandBraces(p)
	if err != nil {
		return err
	}
	for _, a := range alts {
		for _, seg := range strings.Split(a, "/") {
			if _, err := path.Match(seg, ""); err != nil {
				return err
			}
		}
	}
	return nil
}
