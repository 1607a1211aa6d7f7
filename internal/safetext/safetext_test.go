package safetext

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestLine(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain/path.ckpt", "plain/path.ckpt"},
		{`C:\runs\a.ckpt`, `C:\runs\a.ckpt`},
		{"a\nFORGED.ckpt.metadata.yaml:1:1: error: injected [x]\n", `a\nFORGED.ckpt.metadata.yaml:1:1: error: injected [x]\n`},
		{"x\x1b]0;title\a\x1b[2Jy", `x\x1b]0;title\x07\x1b[2Jy`},
		{"tab\there\rcr", `tab\there\rcr`},
		{"del\x7f c1\u0085 nel", `del\x7f c1\x85 nel`},
		{"ls\u2028ps\u2029", `ls\u2028ps\u2029`},
		{"bidi\u202egnp.exe\u2066\u2069\u200f\u061c", `bidi\u202egnp.exe\u2066\u2069\u200f\u061c`},
		{"bad\xff\xfeutf8", `bad\xff\xfeutf8`},
		{"real \ufffd replacement", "real \ufffd replacement"},
		{"ünïcödé 日本", "ünïcödé 日本"},
		{"log ##[error]x", `log ##\x5berror]x`},
		{"", ""},
	} {
		got := Line(tc.in)
		if got != tc.want {
			t.Errorf("Line(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if Clean(tc.in) != (got == tc.in) {
			t.Errorf("Clean(%q) = %v, but Line changed it: %v", tc.in, Clean(tc.in), got != tc.in)
		}
		assertSafe(t, got)
	}
}

func TestLines(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a\nb\n", "a\nb\n"},
		{"--- a\x1b[2J\n+++ b\r\n", "--- a\\x1b[2J\n+++ b\\r\n"},
		{"one", "one"},
		{"p: \"x\\ny\u202e\"\n", "p: \"x\\ny\\u202e\"\n"},
	} {
		if got := Lines(tc.in); got != tc.want {
			t.Errorf("Lines(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestPath(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"::add-mask::x.metadata.yaml", "./::add-mask::x.metadata.yaml"},
		{"  ::warning::x", "./  ::warning::x"},
		{"a::b", "a::b"},
		{"\n::error::x", `\n::error::x`},
	} {
		if got := Path(tc.in); got != tc.want {
			t.Errorf("Path(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// assertSafe fails when s holds anything Line promises to remove.
func assertSafe(t *testing.T, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("%q: invalid UTF-8", s)
	}
	for _, r := range s {
		if unsafeRune(r) {
			t.Errorf("%q: holds %U", s, r)
		}
	}
	if strings.Contains(s, "##[") {
		t.Errorf("%q: holds ##[", s)
	}
}

func FuzzLine(f *testing.F) {
	for _, s := range []string{"a\nb", "\x1b[2J", "\xff", "##[x", "\u202e", "\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Line(s)
		assertSafe(t, got)
		if Clean(s) != (got == s) {
			t.Errorf("Clean(%q) disagrees with Line", s)
		}
		if Line(got) != got {
			t.Errorf("Line is not idempotent on %q", got)
		}
	})
}

func BenchmarkLineClean(b *testing.B) {
	s := "runs/exp-2025-10-01/checkpoints/epoch=12-step=3400.ckpt.metadata.yaml"
	for b.Loop() {
		Line(s)
	}
}
