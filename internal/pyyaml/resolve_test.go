package pyyaml

import (
	"testing"
)

// TestFastNumber checks the shortcut against the full strconv sequence on every string
// of up to five characters over the alphabet numbers are made of.
func TestFastNumber(t *testing.T) {
	const alphabet = "0159+-._xobeE"
	decided := 0
	var walk func(s string)
	walk = func(s string) {
		if s != "" && (s[0] == '+' || s[0] == '-' || s[0] >= '0' && s[0] <= '9') {
			if tag, ok := fastNumber(s); ok {
				decided++
				if want := slowNumber(s); tag != want {
					t.Errorf("fastNumber(%q) = %s, slowNumber = %s", s, tag, want)
				}
			}
		}
		if len(s) == 5 {
			return
		}
		for i := 0; i < len(alphabet); i++ {
			walk(s + alphabet[i:i+1])
		}
	}
	walk("")
	t.Logf("fastNumber decided %d strings", decided)
	if decided < 1000 {
		t.Fatalf("fastNumber decided only %d strings", decided)
	}
}

func TestResolve(t *testing.T) {
	// Tags yaml.v3 gives; check runs each through yaml.v3 as well, so a wrong row fails.
	for _, tc := range []struct {
		in, tag string
		ok      bool
	}{
		{"", tagNull, true},
		{"~", tagNull, true},
		{"null", tagNull, true},
		{"nULL", tagStr, true},
		{"True", tagBool, true},
		{"yes", tagStr, true},
		{"0", tagInt, true},
		{"-0", tagInt, true},
		{"017", tagInt, true},
		{"09", tagFloat, true},
		{"0x1F", tagInt, true},
		{"1_000", tagInt, true},
		{"9223372036854775808", tagInt, true},
		{"18446744073709551616", tagFloat, true},
		{"1.5", tagFloat, true},
		{".5", tagFloat, true},
		{"1e400", tagStr, true},
		{"+.INF", tagFloat, true},
		{"1.2.3", tagStr, true},
		{"2025-10-19", "", false},
		{"<<", "", false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			tag, ok := resolve(tc.in)
			if tag != tc.tag || ok != tc.ok {
				t.Fatalf("resolve(%q) = %q, %v; want %q, %v", tc.in, tag, ok, tc.tag, tc.ok)
			}
			if ok && tc.in != "" {
				if !check(t, []byte("k: "+tc.in+"\n")) {
					t.Fatalf("%q refused in a document", tc.in)
				}
			}
		})
	}
}
