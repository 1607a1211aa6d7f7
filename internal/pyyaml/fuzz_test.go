package pyyaml

import (
	"os"
	"testing"
)

// FuzzParse is differential: whatever the input, parse never panics, and when it
// accepts, yaml.v3 decodes the same tree and nothing after it.
func FuzzParse(f *testing.F) {
	for _, dir := range []string{sidecarDir, generateDir, migrateDir} {
		for _, path := range yamlFiles(f, dir) {
			src, err := os.ReadFile(path)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(src)
		}
	}
	for _, tc := range cases {
		if len(tc.src) < 4096 {
			f.Add([]byte(tc.src))
		}
	}
	for _, s := range []string{
		"a:\n- x\n- k: 1\n  l: [1, 'a', \"b\"]\nb: {c: d}\n",
		"- -1\n- .5\n- 0x1F\n- 1e3\n- 0o17\n- 1_0\n- ~\n- ''\n",
		"# c\n\nk: v\n",
		"# c\nk: v\n",
		"a: \"\\x41\\u00e9 \\\\ \\\" \\N\"\n",
		"'a': \"b\"\n\"c\" : 'd'\n",
		"é: ü\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		check(t, src)
	})
}
