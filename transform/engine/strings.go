package engine

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// JavaScript string literal values: decoding escape sequences (to compare a
// literal's value) and quoting (to write a new value in the original style).

// appendEscape decodes one escape_sequence node's text ("\n", "\x41",
// "\u{1F600}", a line continuation, ...). UTF-16 surrogates stay as separate
// runes until runesToString pairs them.
func appendEscape(rs []rune, esc string) []rune {
	if len(esc) < 2 || esc[0] != '\\' {
		return append(rs, []rune(esc)...)
	}
	body := esc[1:]
	switch body {
	case "n":
		return append(rs, '\n')
	case "t":
		return append(rs, '\t')
	case "r":
		return append(rs, '\r')
	case "b":
		return append(rs, '\b')
	case "f":
		return append(rs, '\f')
	case "v":
		return append(rs, '\v')
	case "\n", "\r\n", "\r", "\u2028", "\u2029":
		return rs // line continuation
	}
	hex := func(s string) ([]rune, bool) {
		v, err := strconv.ParseUint(s, 16, 32)
		if err != nil || v > utf8.MaxRune {
			return nil, false
		}
		return append(rs, rune(v)), true
	}
	switch {
	case body[0] == 'x' && len(body) == 3:
		if out, ok := hex(body[1:]); ok {
			return out
		}
	case strings.HasPrefix(body, "u{") && strings.HasSuffix(body, "}"):
		if out, ok := hex(body[2 : len(body)-1]); ok {
			return out
		}
	case body[0] == 'u' && len(body) == 5:
		if out, ok := hex(body[1:]); ok {
			return out
		}
	case body[0] >= '0' && body[0] <= '7': // \0 and legacy octal escapes
		if v, err := strconv.ParseUint(body, 8, 32); err == nil {
			return append(rs, rune(v))
		}
	}
	return append(rs, []rune(body)...) // identity escape: \' \" \\ \` \$ ...
}

// runesToString joins UTF-16 surrogate pairs; a lone surrogate becomes U+FFFD.
func runesToString(rs []rune) string {
	var b strings.Builder
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if utf16.IsSurrogate(r) {
			if i+1 < len(rs) {
				if p := utf16.DecodeRune(r, rs[i+1]); p != utf8.RuneError {
					b.WriteRune(p)
					i++
					continue
				}
			}
			r = utf8.RuneError
		}
		b.WriteRune(r)
	}
	return b.String()
}

// quoteJS writes value as a JavaScript string literal delimited by quote
// (', " or `), escaping only what the delimiter and the grammar require.
func quoteJS(value string, quote byte) string {
	var b strings.Builder
	b.WriteByte(quote)
	for i := 0; i < len(value); {
		r, size := utf8.DecodeRuneInString(value[i:])
		if r == utf8.RuneError && size == 1 {
			fmt.Fprintf(&b, "\\x%02x", value[i])
			i++
			continue
		}
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == rune(quote):
			b.WriteByte('\\')
			b.WriteByte(quote)
		case r == '$' && quote == '`' && strings.HasPrefix(value[i+size:], "{"):
			b.WriteString(`\$`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\x%02x", r)
		case r == '\u2028' || r == '\u2029':
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteString(value[i : i+size])
		}
		i += size
	}
	b.WriteByte(quote)
	return b.String()
}
