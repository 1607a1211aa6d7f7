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

func TestDocEdits(t *testing.T) {
	tests := []struct {
		name string
		edit func(d *Doc) error
		want string
	}{
		{"set keeps line comment", func(d *Doc) error { return d.Set("/a", str("2")) },
			"# top\na: \"2\" # one\nb:\n  c: x\n  \"val/hmean\": 0.5\nd: [1, 2]\n"},
		{"set appends", func(d *Doc) error { return d.Set("/b/e", boolean(true)) },
			"# top\na: 1 # one\nb:\n  c: x\n  \"val/hmean\": 0.5\n  e: true\nd: [1, 2]\n"},
		{"escaped pointer", func(d *Doc) error { return d.Set(Pointer("b", "val/hmean"), null()) },
			"# top\na: 1 # one\nb:\n  c: x\n  \"val/hmean\": null\nd: [1, 2]\n"},
		{"insert after", func(d *Doc) error { return d.InsertAfter("", "a", "z", str("new")) },
			"# top\na: 1 # one\nz: new\nb:\n  c: x\n  \"val/hmean\": 0.5\nd: [1, 2]\n"},
		{"insert first", func(d *Doc) error { return d.InsertAfter("/b", "", "first", str("f")) },
			"# top\na: 1 # one\nb:\n  first: f\n  c: x\n  \"val/hmean\": 0.5\nd: [1, 2]\n"},
		{"rename keeps place and comment", func(d *Doc) error { return d.Rename("/a", "aa") },
			"# top\naa: 1 # one\nb:\n  c: x\n  \"val/hmean\": 0.5\nd: [1, 2]\n"},
		{"delete", func(d *Doc) error { d.Delete("/b/c"); return nil },
			"# top\na: 1 # one\nb:\n  \"val/hmean\": 0.5\nd: [1, 2]\n"},
		{"move", func(d *Doc) error { return d.Move("/a", "/b/moved") },
			"b:\n  c: x\n  \"val/hmean\": 0.5\n  # top\n  moved: 1 # one\nd: [1, 2]\n"},
		{"version first and quoted", func(d *Doc) error { d.setVersion("1.0"); return nil },
			"# top\nschema_version: '1.0'\na: 1 # one\nb:\n  c: x\n  \"val/hmean\": 0.5\nd: [1, 2]\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := mustDoc(t, docSrc)
			if err := tc.edit(d); err != nil {
				t.Fatal(err)
			}
			if got := out(t, d); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func TestDocGet(t *testing.T) {
	d := mustDoc(t, docSrc)
	for ptr, want := range map[string]string{"/a": "1", "/b/c": "x", "/b/val~1hmean": "0.5", "/d/1": "2"} {
		n, ok := d.Get(ptr)
		if !ok || n.Value != want {
			t.Errorf("Get(%s) = %v, %v; want %s", ptr, n, ok, want)
		}
	}
	for _, ptr := range []string{"/x", "/d/7", "/a/b", "no-slash", "/d/-1"} {
		if _, ok := d.Get(ptr); ok {
			t.Errorf("Get(%s) found something", ptr)
		}
	}
	if err := d.Rename("/a", "b"); err == nil {
		t.Errorf("Rename onto an existing key succeeded")
	}
	if err := d.Set("/nope/x", str("y")); err == nil {
		t.Errorf("Set under a missing parent succeeded")
	}
	if err := d.Move("/nope", "/b/x"); err == nil {
		t.Errorf("Move of a missing key succeeded")
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
