package migrate

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckptmeta/ckptmeta/internal/pyyaml"
	"go.yaml.in/yaml/v3"
)

const docSrc = `# top
a: 1 # one
b:
  c: x
  "val/hmean": 0.5
d: [1, 2]
`

func mustDoc(t *testing.T, src string) *Doc {
	t.Helper()
	d, err := ParseDoc([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func out(t *testing.T, d *Doc) string {
	t.Helper()
	b, err := d.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestNodeEdits: the edits the steps are written in keep comments, positions and the
// styles of what they do not touch.
func TestNodeEdits(t *testing.T) {
	tests := []struct {
		name string
		edit func(root *yaml.Node)
		want string
	}{
		{"mset keeps line comment", func(r *yaml.Node) { mset(r, "a", str("2")) },
			"# top\na: \"2\" # one\nb:\n  c: x\n  \"val/hmean\": 0.5\nd: [1, 2]\n"},
		{"mset appends", func(r *yaml.Node) { mset(mget(r, "b"), "e", boolean(true)) },
			"# top\na: 1 # one\nb:\n  c: x\n  \"val/hmean\": 0.5\n  e: true\nd: [1, 2]\n"},
		{"renameKey keeps place and comment", func(r *yaml.Node) { renameKey(r, "a", "aa") },
			"# top\naa: 1 # one\nb:\n  c: x\n  \"val/hmean\": 0.5\nd: [1, 2]\n"},
		{"mdel", func(r *yaml.Node) { mdel(mget(r, "b"), "c") },
			"# top\na: 1 # one\nb:\n  \"val/hmean\": 0.5\nd: [1, 2]\n"},
		{"move", func(r *yaml.Node) { move(r, mget(r, "b"), "a", "moved") },
			"b:\n  c: x\n  \"val/hmean\": 0.5\n  # top\n  moved: 1 # one\nd: [1, 2]\n"},
		{"regroup where it stands", func(r *yaml.Node) { regroup(r, "d", "group", "list") },
			"# top\na: 1 # one\nb:\n  c: x\n  \"val/hmean\": 0.5\ngroup:\n  list: [1, 2]\n"},
		{"ungroup where it stands", func(r *yaml.Node) { ungroup(r, "b", "c", "c") },
			"# top\na: 1 # one\nc: x\nd: [1, 2]\n"},
		{"ungroup without the inner key", func(r *yaml.Node) { ungroup(r, "b", "z", "nope") },
			"# top\na: 1 # one\nz: null\nd: [1, 2]\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := mustDoc(t, docSrc)
			tc.edit(d.root)
			if got := out(t, d); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
	d := mustDoc(t, docSrc)
	d.setVersion("1.0")
	if got, want := out(t, d), "# top\nschema_version: '1.0'\na: 1 # one\nb:\n  c: x\n  \"val/hmean\": 0.5\nd: [1, 2]\n"; got != want {
		t.Errorf("setVersion: got:\n%s", got)
	}
	if renameKey(d.root, "nope", "x") || replace(d.root, "nope", null()) || move(d.root, d.root, "nope", "x") ||
		regroup(d.root, "nope", "g", "i") != nil || ungroup(d.root, "nope", "k", "i") != nil {
		t.Errorf("an edit of a missing key reported success")
	}
}

func TestDocGet(t *testing.T) {
	d := mustDoc(t, docSrc)
	for ptr, want := range map[string]string{"/a": "1", "/b/c": "x", "/b/val~1hmean": "0.5", "/d/1": "2"} {
		n, ok := d.get(ptr)
		if !ok || n.Value != want {
			t.Errorf("get(%s) = %v, %v; want %s", ptr, n, ok, want)
		}
	}
	for _, ptr := range []string{"/x", "/d/7", "/a/b", "no-slash", "/d/-1"} {
		if _, ok := d.get(ptr); ok {
			t.Errorf("get(%s) found something", ptr)
		}
	}
}

func TestDetectIndent(t *testing.T) {
	tests := []struct {
		name, src string
		indent    int
		compact   bool
		reencoded string // "" = the source itself
	}{
		{"pyyaml", "a:\n  b: 1\n  l:\n  - 1\n", 2, true, ""},
		{"yaml.v3 style", "a:\n  b: 1\n  l:\n    - 1\n", 2, false, ""},
		{"four", "a:\n    b: 1\n", 4, false, ""},
		// yaml.v3 cannot put "- " at the key's column with indent 4; it gets 2 spaces.
		{"four compact seq", "a:\n    b: 1\nl:\n- 1\n", 4, true, "a:\n    b: 1\nl:\n  - 1\n"},
		{"flow only", "a: {b: 1}\n", 2, true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := mustDoc(t, tc.src)
			if d.indent != tc.indent || d.compact != tc.compact {
				t.Errorf("indent, compact = %d, %v; want %d, %v", d.indent, d.compact, tc.indent, tc.compact)
			}
			// Unedited documents re-encode to themselves.
			want := tc.src
			if tc.reencoded != "" {
				want = tc.reencoded
			}
			if got := out(t, d); got != want {
				t.Errorf("re-encoded:\n%s", got)
			}
		})
	}
}

func TestNewDocRejects(t *testing.T) {
	for _, src := range []string{"- 1\n", "just a string\n"} {
		if _, err := ParseDoc([]byte(src)); !errors.Is(err, ErrShape) {
			t.Errorf("ParseDoc(%q) err = %v, want ErrShape", src, err)
		}
	}
}

// TestPlainStyleQuotes: a tree parsed from JSON is written with the strings PyYAML would
// misread quoted (the shared resolver decides), and every string reads back as itself.
func TestPlainStyleQuotes(t *testing.T) {
	for _, s := range []string{"1.0", "2025-01-01", "yes", "Off", "", "null", "=", "<<", "1:30", "resnet50", "val/hmean",
		"0.1.0", "a b", " a", "#x", "1e3", "y"} {
		n := mapping(str("k"), str(s))
		n.Content[1].Style = yaml.DoubleQuotedStyle // as parsed from JSON
		plainStyle(n)
		out, err := yaml.Marshal(n)
		if err != nil {
			t.Fatal(err)
		}
		if pyyaml.NeedsQuotes(s) && string(out) == "k: "+s+"\n" {
			t.Errorf("%q written plain", s)
		}
		var back map[string]string
		if err := yaml.Unmarshal(out, &back); err != nil || back["k"] != s {
			t.Errorf("%q reads back as %q (%v):\n%s", s, back["k"], err, out)
		}
	}
}

// FuzzMigrateBytes: no input crashes migrate or makes it produce an invalid or unstable
// document.
func FuzzMigrateBytes(f *testing.F) {
	var seeds []string
	for _, g := range []string{"testdata/golden/*/*", "../testdata/sidecars/*/*"} {
		m, _ := filepath.Glob(g)
		seeds = append(seeds, m...)
	}
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err == nil {
			f.Add(b, strings.HasSuffix(p, ".json"))
		}
	}
	f.Fuzz(func(t *testing.T, src []byte, isJSON bool) {
		name := "outputs/e/checkpoints/x.metadata.yaml"
		if isJSON {
			name = "outputs/e/checkpoints/x.metadata.json"
		}
		m, err := MigrateBytes(name, src, Options{})
		if err != nil {
			if strings.Contains(err.Error(), "internal error") {
				t.Fatalf("panic: %v", err)
			}
			return
		}
		doc, _ := ParseDoc(m.Data)
		if doc == nil {
			t.Fatalf("output does not parse:\n%s", m.Data)
		}
		again, err := MigrateBytes("outputs/e/checkpoints/x.metadata.yaml", m.Data, Options{})
		if err != nil || again.Changed {
			t.Fatalf("not idempotent (err %v):\n%s", err, m.Data)
		}
	})
}
