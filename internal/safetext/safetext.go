// Package safetext renders untrusted names for text output: file paths, YAML keys, pickle strings and
// error messages that quote them. It is the one place that decides what a name may do to a terminal or
// a log: every command's text output passes names through [Line] (or [Path] where a name starts a line).
//
// The promise: the result of [Line] holds no byte that can end a line, move the cursor, clear the
// screen, set a window title or reorder text (C0 and C1 controls, DEL, U+2028/U+2029, the Unicode bidi
// controls), and no invalid UTF-8. Each such character is shown as a Go-style escape (`\n`, `\t`, `\x1b`,
// `\u202e`), so the name stays recognisable. Backslashes are kept as they are (Windows paths stay
// readable), so the rendering is for people and line-based tools, not reversible: the machine formats
// (JSON, SARIF, JUnit) carry the exact name in their own encoding.
//
// It also defuses the GitHub Actions runner's commands, which act on any log line whatever
// ckptmeta's output format is: "##[" anywhere in a line, and "::" at the start of a line ([Path]).
package safetext

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Line renders s for one line of text output: see the package doc.
func Line(s string) string {
	if strings.Contains(s, "##[") {
		s = strings.ReplaceAll(s, "##[", `##\x5b`)
	}
	if clean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case unsafeRune(r):
			if r < 0x100 {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// Lines is [Line] for multi-line text (a diff, a YAML document, a message with a hint): each line
// is rendered by Line and the line feeds between them are kept, so no line is added and nothing
// else raw gets through. Inside a YAML double-quoted scalar Line's escapes (\x1b, \u202e, \x5b)
// mean the same characters, so a document whose unsafe strings are double-quoted stays the same
// YAML.
func Lines(s string) string {
	if !strings.Contains(s, "\n") {
		return Line(s)
	}
	parts := strings.Split(s, "\n")
	for i, p := range parts {
		parts[i] = Line(p)
	}
	return strings.Join(parts, "\n")
}

// Path is [Line] for a name that may start a line: a path beginning with "::" (after white space) would
// be a GitHub workflow command, so it is shown as "./::…", which names the same file.
func Path(p string) string {
	p = Line(p)
	if strings.HasPrefix(strings.TrimLeftFunc(p, unicode.IsSpace), "::") {
		return "./" + p
	}
	return p
}

// Clean reports whether [Line] would return s unchanged.
func Clean(s string) bool {
	return clean(s) && !strings.Contains(s, "##[")
}

func clean(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || unsafeRune(r) {
			return false
		}
		i += size
	}
	return true
}

// unsafeRune: C0, DEL, C1, the Unicode line and paragraph separators, and the bidi controls
// (U+061C, U+200E/F, U+202A–U+202E, U+2066–U+2069) that reorder what a terminal shows.
func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
		return true
	case r == '\u2028', r == '\u2029', r == '\u061c', r == '\u200e', r == '\u200f':
		return true
	case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069':
		return true
	}
	return false
}
