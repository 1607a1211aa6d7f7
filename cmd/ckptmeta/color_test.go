package main

import "testing"

// TestColorDecision covers what a testscript cannot: auto on a terminal (a script's stdout
// never is one), with NO_COLOR empty, non-empty and unset, and TERM=dumb.
func TestColorDecision(t *testing.T) {
	for _, c := range []struct {
		mode     colorMode
		env      map[string]string
		terminal bool
		want     bool
	}{
		{colorAuto, nil, true, true},
		{colorAuto, nil, false, false},
		{colorAuto, map[string]string{"NO_COLOR": ""}, true, true}, // empty means unset (no-color.org)
		{colorAuto, map[string]string{"NO_COLOR": "1"}, true, false},
		{colorAuto, map[string]string{"NO_COLOR": "0"}, true, false}, // any non-empty value
		{colorAuto, map[string]string{"TERM": "dumb"}, true, false},
		{colorAuto, map[string]string{"TERM": "xterm-256color"}, true, true},
		{colorAlways, map[string]string{"NO_COLOR": "1", "TERM": "dumb"}, false, true}, // the flag wins
		{colorNever, nil, true, false},
	} {
		getenv := func(k string) string { return c.env[k] }
		if got := colorDecision(c.mode, getenv, c.terminal); got != c.want {
			t.Errorf("colorDecision(%s, %v, terminal=%v) = %v, want %v", c.mode, c.env, c.terminal, got, c.want)
		}
	}
}
