package pyyaml

import (
	"reflect"
	"testing"
)

func TestComments(t *testing.T) {
	type c struct {
		line, col int
		text      string
		own       bool
		next      int
	}
	tests := []struct {
		name string
		src  string
		want []c
	}{
		{"trailing and own line", "# top\na: 1 # one\n\n  # two\nb: x#y\n", []c{{0, 0, "# top", true, 1}, {1, 5, "# one", false, 4}, {3, 2, "# two", true, 4}}},
		{"not in quotes", "a: 'x # no' # yes\nb: \"y # no\"\n", []c{{0, 12, "# yes", false, 1}}},
		{"quoted across lines", "a: 'x\n  # no'\nb: 1\n", nil},
		{"not in block scalars", "a: | # header\n  # text\n  more\n# after\nb: 1\n", []c{{0, 5, "# header", false, 4}, {3, 0, "# after", true, 4}}},
		{"plain scalar ends at space-hash", "a: b #c\nd: e#f\n", []c{{0, 5, "#c", false, 1}}},
		{"flow", "a: [1, # one\n  2]\n", []c{{0, 7, "# one", false, 1}}},
		{"directive", "%YAML 1.1 # v\n---\na: 1\n", []c{{0, 10, "# v", false, 1}}},
		{"at the end", "a: 1\n# last\n", []c{{1, 0, "# last", true, -1}}},
		{"a tab between tokens is PyYAML's error, before the comment", "a: 1\t# t\n", nil},
		{"error stops", "# before\na: [\n# after?\n", []c{{0, 0, "# before", true, 1}, {2, 0, "# after?", true, -1}}},
		{"unicode columns", "é: 'ü' # c\n", []c{{0, 7, "# c", false, -1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []c
			for _, x := range Comments([]byte(tt.src)) {
				got = append(got, c{x.Mark.Line, x.Mark.Column, x.Text, x.OwnLine, x.Next})
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Comments(%q)\n got %+v\nwant %+v", tt.src, got, tt.want)
			}
		})
	}
}
