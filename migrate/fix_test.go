package migrate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckptmeta/ckptmeta/validate"
)

// TestFixBytes fixes each finding FixBytes covers in a real fixture, checks the output
// differs from the input only in the edited scalars, and that validate no longer reports
// the finding.
func TestFixBytes(t *testing.T) {
	src, err := os.ReadFile("../testdata/sidecars/valid/convert-omits-nulls.metadata.yaml")
	if err != nil {
		t.Fatal(err)
	}
	base := string(src)
	cases := []struct {
		name, from, to, rule string
	}{
		{"version", "schema_version: '1.0'", "schema_version: 1.0", "yaml/unquoted-version"},
		{"timestamp", "created_at: '2025-10-18T02:32:19.114215'", "created_at: 2025-10-18T02:32:19.114215", "yaml/unquoted-timestamp"},
		{"truthy bool", "    pretrained: true", "    pretrained: yes", "yaml/truthy"},
		{"truthy string", "exp_name: my_experiment", "exp_name: on", "yaml/truthy"},
		{"key", "  additional_metrics:\n", "  additional_metrics:\n    2024: 1\n", "yaml/non-string-key"},
	}
	want := map[string]string{
		"version":       "schema_version: '1.0'",
		"timestamp":     "created_at: '2025-10-18T02:32:19.114215'",
		"truthy bool":   "    pretrained: true",
		"truthy string": "exp_name: 'on'",
		"key":           "  additional_metrics:\n    '2024': 1\n",
	}
	v := validate.New(nil, validate.Options{})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := strings.Replace(base, c.from, c.to, 1)
			if in == base {
				t.Fatalf("fixture lacks %q", c.from)
			}
			if !hasRule(v.ValidateBytes("x.metadata.yaml", []byte(in)), c.rule) {
				t.Fatalf("input has no %s finding", c.rule)
			}
			fx, err := FixBytes("x.metadata.yaml", []byte(in), "", "")
			if err != nil {
				t.Fatal(err)
			}
			if !fx.Changed || len(fx.Fixes) != 1 || len(fx.Unfixed) != 0 {
				t.Fatalf("changed %v, fixes %q, unfixed %q", fx.Changed, fx.Fixes, fx.Unfixed)
			}
			if got, exp := string(fx.Data), strings.Replace(in, c.to, want[c.name], 1); got != exp {
				t.Errorf("fixed file:\n%s\nwant:\n%s", got, exp)
			}
			if hasRule(v.ValidateBytes("x.metadata.yaml", fx.Data), c.rule) {
				t.Errorf("%s still reported after the fix", c.rule)
			}
			again, err := FixBytes("x.metadata.yaml", fx.Data, "", "")
			if err != nil || again.Changed {
				t.Errorf("a second fix changed the file again (%v)", err)
			}
		})
	}
	if fx, err := FixBytes("x.metadata.yaml", src, "", ""); err != nil || fx.Changed || len(fx.Fixes)+len(fx.Unfixed) != 0 {
		t.Errorf("a clean file: %+v, %v", fx, err)
	}
	// training_phase is an enum: neither 'on' nor true passes, so the file is left and the
	// finding reported.
	in := strings.Replace(base, "training_phase: training", "training_phase: on", 1)
	if fx, err := FixBytes("x.metadata.yaml", []byte(in), "", ""); err != nil || fx.Changed || len(fx.Unfixed) != 1 || string(fx.Data) != in {
		t.Errorf("a fix that does not check: %+v, %v", fx, err)
	}
	if _, err := FixBytes("x.metadata.yaml", []byte("a: [1,\n"), "", ""); err == nil {
		t.Error("broken YAML: no error")
	}
}

// TestFixBytesRepoints re-points a sidecar copied from another run at the checkpoint it
// sits beside, keeping the comment on the line.
func TestFixBytesRepoints(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "outputs", "exp", "checkpoints")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(dir, "best.ckpt")
	if err := os.WriteFile(ckpt, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("../testdata/sidecars/valid/convert-omits-nulls.metadata.yaml")
	if err != nil {
		t.Fatal(err)
	}
	in := strings.Replace(string(src), "checkpoint_path: my_experiment/checkpoints/best.ckpt", "checkpoint_path: \"other/checkpoints/last.ckpt\" # copied", 1)
	fx, err := FixBytes(ckpt+".metadata.yaml", []byte(in), ckpt, "")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(in, `"other/checkpoints/last.ckpt" # copied`, "'exp/checkpoints/best.ckpt' # copied", 1)
	if string(fx.Data) != want || len(fx.Fixes) != 1 {
		t.Errorf("fixes %q; file:\n%s\nwant:\n%s", fx.Fixes, fx.Data, want)
	}
}

func hasRule(r *validate.Result, rule string) bool {
	for _, f := range r.Findings {
		if f.Rule == rule {
			return true
		}
	}
	return false
}

// FuzzFixBytes: no input crashes fix; what it changes parses, has none of the findings it
// reported fixed, and a second fix changes nothing (the fix is idempotent).
func FuzzFixBytes(f *testing.F) {
	m, _ := filepath.Glob("../testdata/sidecars/*/*.yaml")
	for _, p := range m {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("schema_version: 1.0\ncreated_at: 2025-10-19 13:36:51\nexp_name: yes\n2024: {on: off}\n"))
	f.Add([]byte("{schema_version: 1.0, exp_name: [yes, no], 1.5: x}\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		name := "outputs/e/checkpoints/x.metadata.yaml"
		fx, err := FixBytes(name, src, "", "")
		if err != nil {
			if strings.Contains(err.Error(), "internal error") {
				t.Fatalf("panic: %v", err)
			}
			return
		}
		if !fx.Changed {
			if string(fx.Data) != string(src) {
				t.Fatal("unchanged, but the bytes differ")
			}
			return
		}
		r := validate.New(nil, validate.Options{}).ValidateBytes(name, fx.Data)
		for _, fd := range r.Findings {
			if fd.Rule == "yaml/syntax" || fd.Rule == "yaml/unquoted-version" || fd.Rule == "yaml/unquoted-timestamp" {
				t.Fatalf("after the fix: %s [%s]\n%s", fd.Message, fd.Rule, fx.Data)
			}
		}
		again, err := FixBytes(name, fx.Data, "", "")
		if err != nil || again.Changed {
			t.Fatalf("a second fix changed the file (err %v):\n%s\nthen:\n%s", err, fx.Data, again.Data)
		}
	})
}

// TestFixBytesDuplicateKeys removes repeated keys that hold the same value as the first
// (whole lines: a nested value goes with its key), keeps a comment the first does not
// carry, and leaves keys repeated with another value, saying why.
func TestFixBytesDuplicateKeys(t *testing.T) {
	src, err := os.ReadFile("../testdata/sidecars/valid/convert-omits-nulls.metadata.yaml")
	if err != nil {
		t.Fatal(err)
	}
	base := string(src)
	v := validate.New(nil, validate.Options{})
	cases := []struct {
		name, from, to, want string
		unfixed              string // "" when the fix applies
	}{
		{name: "scalar", from: "  global_step: 205\n", to: "  global_step: 205\n  epoch: 0\n", want: "  global_step: 205\n"},
		{name: "quoted and plain strings are equal", from: "exp_name: my_experiment\n", to: "exp_name: my_experiment\nexp_name: 'my_experiment'\n", want: "exp_name: my_experiment\n"},
		{name: "comment kept", from: "  global_step: 205\n", to: "  global_step: 205\n  epoch: 0   # from the log\n", want: "  global_step: 205\n  # from the log\n"},
		{name: "same comment goes", from: "  epoch: 0\n  global_step: 205\n", to: "  epoch: 0  # e\n  global_step: 205\n  epoch: 0  # e\n", want: "  epoch: 0  # e\n  global_step: 205\n"},
		{name: "nested value", from: "checkpointing:\n", to: "loss_twice:\n", want: ""}, // replaced below
		{name: "differs", from: "  global_step: 205\n", to: "  global_step: 205\n  epoch: 1\n", unfixed: "the values differ"},
		{name: "int and string differ", from: "  global_step: 205\n", to: "  global_step: 205\n  epoch: '0'\n", unfixed: "the values differ"},
		{name: "flow mapping", from: "  mode: max\n", to: "  mode: max\n  x: {a: 1, a: 1}\n", unfixed: "in a flow mapping"},
	}
	nested := "  loss:\n    name: db_loss\n    params: {}\n"
	cases[4] = struct {
		name, from, to, want string
		unfixed              string
	}{name: "nested value", from: nested, to: nested + "  loss:   # again\n    name: db_loss\n\n    params: {}\n# trailing\n", want: nested + "  # again\n# trailing\n"}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := strings.Replace(base, c.from, c.to, 1)
			if in == base {
				t.Fatalf("fixture lacks %q", c.from)
			}
			if !hasRule(v.ValidateBytes("x.metadata.yaml", []byte(in)), "yaml/duplicate-key") {
				t.Fatal("input has no duplicate-key finding")
			}
			fx, err := FixBytes("x.metadata.yaml", []byte(in), "", "")
			if err != nil {
				t.Fatal(err)
			}
			if c.unfixed != "" {
				if fx.Changed || len(fx.Unfixed) != 1 || !strings.Contains(fx.Unfixed[0], c.unfixed) || !strings.Contains(fx.Unfixed[0], "[yaml/duplicate-key]") {
					t.Fatalf("changed %v, unfixed %q", fx.Changed, fx.Unfixed)
				}
				for _, f := range v.ValidateBytes("x.metadata.yaml", []byte(in)).Findings {
					if validate.Fixable(f) {
						t.Errorf("validate calls it fixable: %s %q", f.Rule, f.Hint)
					}
				}
				return
			}
			if !fx.Changed || len(fx.Fixes) != 1 || len(fx.Unfixed) != 0 {
				t.Fatalf("changed %v, fixes %q, unfixed %q", fx.Changed, fx.Fixes, fx.Unfixed)
			}
			if got, exp := string(fx.Data), strings.Replace(in, c.to, c.want, 1); got != exp {
				t.Errorf("fixed file:\n%s\nwant:\n%s", got, exp)
			}
			if r := v.ValidateBytes("x.metadata.yaml", fx.Data); hasRule(r, "yaml/duplicate-key") || r.Status != validate.StatusValid {
				t.Errorf("after the fix: %v", r.Findings)
			}
		})
	}
	// Three times the same value: both later ones go. Twice the same, then another value: the
	// key is left whole (removing the second would not settle the third), and validate does
	// not promise a fix for any of them.
	in := strings.Replace(base, "  global_step: 205\n", "  global_step: 205\n  epoch: 0\n  epoch: 0\n", 1)
	if fx, err := FixBytes("x.metadata.yaml", []byte(in), "", ""); err != nil || string(fx.Data) != base || len(fx.Fixes) != 2 {
		t.Errorf("three equal: %+v, %v", fx, err)
	}
	in = strings.Replace(base, "  global_step: 205\n", "  global_step: 205\n  epoch: 0\n  epoch: 3\n", 1)
	if fx, err := FixBytes("x.metadata.yaml", []byte(in), "", ""); err != nil || fx.Changed || len(fx.Unfixed) != 2 {
		t.Errorf("equal then different: %+v, %v", fx, err)
	}
}
