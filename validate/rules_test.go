package validate

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ckptmeta/ckptmeta/internal/testenv"
	"github.com/ckptmeta/ckptmeta/schemas"
)

// Every top-level key a schema defines is either a checkpoint-metadata key (it makes a
// file a sidecar) or one of the generic words; a new schema key forces that choice here.
func TestMetadataKeysCoverSchemas(t *testing.T) {
	for _, s := range schemas.Default().All() {
		var doc struct {
			Properties map[string]any   `json:"properties"`
			AnyOf      []map[string]any `json:"anyOf"`
		}
		if err := json.Unmarshal(s.Source(), &doc); err != nil {
			t.Fatal(err)
		}
		keys := map[string]bool{}
		for k := range doc.Properties {
			keys[k] = true
		}
		for _, branch := range doc.AnyOf {
			props, _ := branch["properties"].(map[string]any)
			for k := range props {
				keys[k] = true
			}
		}
		if len(keys) == 0 {
			t.Fatalf("schema %s: no top-level properties found", s.Version)
		}
		for k := range keys {
			if metadataKeys[k] == genericKeys[k] {
				t.Errorf("schema %s: top-level key %q must be in exactly one of metadataKeys and genericKeys", s.Version, k)
			}
		}
	}
}

func TestNotASidecar(t *testing.T) {
	v := New(nil, Options{Strict: true})
	for _, src := range []string{
		`{"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225], "created_at": "2025-10-18"}`,
		"source: coco\nmodel: yolo\nmetrics: {map: 0.5}\n",
	} {
		r := v.ValidateBytes("docs/x.metadata.json", []byte(src))
		if r.Status != StatusSkipped || len(r.Findings) != 0 || r.Failed(true) {
			t.Errorf("%q: %v %v", src, r.Status, dump(r.Findings))
		}
	}
	// Anything with one checkpoint-metadata key, or nothing to judge by, is still checked.
	for _, src := range []string{"exp_name: x\n", "{}", "- a\n", "a: [\n"} {
		if r := v.ValidateBytes("x.metadata.yaml", []byte(src)); r.Status != StatusInvalid {
			t.Errorf("%q: status %v, want invalid", src, r.Status)
		}
	}
}

// File-level findings carry a position: the recorded checkpoint path for an orphan, 1:1
// for a conflict or an unreadable file.
func TestFileLevelPositions(t *testing.T) {
	dir := t.TempDir()
	seed := readFile(t, "../testdata/sidecars/valid/seed.ckpt.metadata.yaml") // checkpoint_path: on line 2
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	v := New(nil, Options{})
	r := v.ValidateFile(write("gone.ckpt.metadata.yaml", seed))
	if len(r.Findings) != 1 || r.Findings[0].Rule != "sidecar/orphan" || r.Findings[0].Line != 2 || r.Findings[0].Column != 18 || r.Findings[0].Pointer != "/checkpoint_path" {
		t.Errorf("orphan: %v", dump(r.Findings))
	}
	r = v.ValidateFile(write("nopath.ckpt.metadata.yaml", "exp_name: x\n"))
	for _, f := range r.Findings {
		if f.Line < 1 || f.Column < 1 {
			t.Errorf("finding without a position: %+v", f)
		}
	}
	r = v.ValidateFile(filepath.Join(dir, "missing.metadata.yaml"))
	if r.Status != StatusError || r.Findings[0].Line != 1 || r.Findings[0].Column != 1 {
		t.Errorf("unreadable: %v", dump(r.Findings))
	}
}

func TestSuperseded(t *testing.T) {
	dir := t.TempDir()
	legacy := readFile(t, "../testdata/sidecars/legacy/v0.metadata.json")
	json := filepath.Join(dir, "best.metadata.json")
	if err := os.WriteFile(json, []byte(legacy), 0o644); err != nil {
		t.Fatal(err)
	}
	v := New(nil, Options{})
	if r := v.ValidateFile(json); r.Findings[0].Rule != "sidecar/legacy" || r.Findings[0].Message != "legacy V0 JSON sidecar without schema_version" {
		t.Errorf("alone: %v", dump(r.Findings))
	}
	if err := os.WriteFile(filepath.Join(dir, "best.ckpt.metadata.yaml"), []byte("schema_version: '2.0'\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := v.ValidateFile(json)
	if r.Status != StatusValid || len(r.Findings) != 1 || r.Findings[0].Rule != "sidecar/superseded" || r.Findings[0].Severity != SeverityWarning ||
		r.Findings[0].Hint != "run `ckptmeta migrate --prune-legacy "+json+"`" || !r.Failed(true) {
		t.Errorf("beside its successor: %v", dump(r.Findings))
	}
}

func TestMisplaced(t *testing.T) {
	root := filepath.Join(t.TempDir(), "outputs")
	dir := filepath.Join(root, "run_b", "checkpoints")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "best.ckpt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	side := filepath.Join(dir, "best.ckpt.metadata.yaml")
	v := New(nil, Options{})
	rules := func(p string) []string {
		var out []string
		for _, f := range v.ValidateFile(p).Findings {
			out = append(out, f.Rule)
		}
		return out
	}
	// Copied from run_a: an error at the recorded path, with the fix as a hint.
	if err := os.WriteFile(side, []byte(seedNaming(t, "run_a/checkpoints/best.ckpt")), 0o644); err != nil {
		t.Fatal(err)
	}
	r := v.ValidateFile(side)
	if r.Status != StatusInvalid || len(r.Findings) != 1 {
		t.Fatalf("copied sidecar: %v", dump(r.Findings))
	}
	f := r.Findings[0]
	if f.Rule != "sidecar/misplaced" || f.Severity != SeverityError || f.Line != 2 || f.Column != 18 || f.Pointer != "/checkpoint_path" ||
		!strings.HasPrefix(f.Hint, "run `ckptmeta fix "+side+"`") {
		t.Errorf("copied sidecar: %+v", f)
	}
	// Its own path, relative to any root above it, is fine; so is a run reached by a link.
	for _, rec := range []string{"run_b/checkpoints/best.ckpt", "outputs/run_b/checkpoints/best.ckpt", "checkpoints/best.ckpt", "./run_b/checkpoints/best.ckpt"} {
		if err := os.WriteFile(side, []byte(seedNaming(t, rec)), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := rules(side); len(got) != 0 {
			t.Errorf("recorded %q: %v", rec, got)
		}
	}
	if err := os.Symlink("run_b", filepath.Join(root, "latest")); err != nil {
		t.Fatal(err)
	}
	if got := rules(filepath.Join(root, "latest", "checkpoints", "best.ckpt.metadata.yaml")); len(got) != 0 {
		t.Errorf("through outputs/latest: %v", got)
	}
	// A name that only ends the same way is not the same checkpoint.
	if err := os.WriteFile(side, []byte(seedNaming(t, "xrun_b/checkpoints/best.ckpt")), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := rules(side); len(got) != 1 || got[0] != "sidecar/misplaced" {
		t.Errorf("xrun_b: %v", got)
	}
	// Without the checkpoint the sidecar sits beside nothing: an orphan, not misplaced.
	orphan := filepath.Join(dir, "gone.ckpt.metadata.yaml")
	if err := os.WriteFile(orphan, []byte(seedNaming(t, "run_a/checkpoints/best.ckpt")), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := rules(orphan); len(got) != 1 || got[0] != "sidecar/orphan" {
		t.Errorf("orphan: %v", got)
	}
}

// A 1.1+ sidecar whose checkpoint cannot be fingerprinted is a finding, and nothing that is
// not a regular file is opened (the /dev/zero case would never end, a FIFO would block).
func TestFingerprintErrorsAreFindings(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.ckpt")
	testenv.CopyFile(t, "../testdata/ckpt/lightning2.ckpt", real)
	doc := sidecar11(t, real)
	cases := map[string]func(p string) error{
		"dev-zero-link": func(p string) error { return os.Symlink("/dev/zero", p) },
		"directory":     func(p string) error { return os.Mkdir(p, 0o755) },
		"garbage": func(p string) error {
			return os.WriteFile(p, []byte("this is not a checkpoint, just some bytes of the wrong size\n"), 0o644)
		},
		"fifo": func(p string) error { return mkfifo(p) },
		"socket": func(p string) error {
			l, err := net.Listen("unix", p)
			if err == nil {
				t.Cleanup(func() { l.Close() })
			}
			return err
		},
	}
	v := New(nil, Options{})
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			ck := filepath.Join(dir, name+".ckpt")
			if err := mk(ck); err != nil {
				t.Skipf("cannot make a %s here: %v", name, err)
			}
			side := ck + ".metadata.yaml"
			if err := os.WriteFile(side, []byte(strings.Replace(string(doc), "checkpoint_path: real.ckpt", "checkpoint_path: "+name+".ckpt", 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			done := make(chan *Result, 1)
			go func() { done <- v.ValidateFile(side) }()
			var r *Result
			select {
			case r = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("validate blocked on the checkpoint")
			}
			if r.Status != StatusInvalid || len(r.Findings) != 1 || r.Findings[0].Rule != "checkpoint/unreadable" ||
				r.Findings[0].Pointer != "/checkpoint_fingerprint" || r.Findings[0].Line < 2 {
				t.Errorf("%s: status %v\n%s", name, r.Status, dump(r.Findings))
			}
		})
	}
}

// A .metadata.yml sidecar is a warning whose hint renames it (to the .yaml name of its own
// family), unless another YAML sidecar of the checkpoint exists: then it is a conflict.
func TestYmlName(t *testing.T) {
	dir := t.TempDir()
	v := New(nil, Options{})
	body := seedNaming(t, "best.ckpt")
	for _, name := range []string{"best.ckpt", "best.metadata.yml"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	side := filepath.Join(dir, "best.metadata.yml")
	r := v.ValidateFile(side)
	if len(r.Findings) != 1 || r.Status != StatusValid {
		t.Fatalf("%v", dump(r.Findings))
	}
	f := r.Findings[0]
	if f.Rule != "sidecar/yml-name" || f.Severity != SeverityWarning || f.Line != 1 || f.Column != 1 || !Fixable(f) ||
		f.Hint != "run `ckptmeta fix "+side+"` to rename it to best.metadata.yaml" {
		t.Errorf("%+v", f)
	}
	if r := New(nil, Options{Strict: true}).ValidateFile(side); !r.Failed(true) {
		t.Error("--strict: a .yml sidecar passes")
	}
	// A symbolic link named .yml: fix renames regular files only, so the hint promises no fix.
	if err := os.Symlink("best.metadata.yml", filepath.Join(dir, "last.metadata.yml")); err == nil {
		if err := os.WriteFile(filepath.Join(dir, "last.ckpt"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		r := v.ValidateFile(filepath.Join(dir, "last.metadata.yml"))
		if len(r.Findings) == 0 || r.Findings[0].Rule != "sidecar/yml-name" || Fixable(r.Findings[0]) {
			t.Errorf("a .yml symlink: %v", dump(r.Findings))
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "best.ckpt.metadata.yaml"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	r = v.ValidateFile(side)
	if len(r.Findings) != 1 || r.Findings[0].Rule != "sidecar/conflict" {
		t.Errorf("beside another sidecar: %v", dump(r.Findings))
	}
}

// A duplicate key's hint runs `ckptmeta fix` only when every repetition holds the first's
// key and value, in a block mapping.
func TestDuplicateKeyHints(t *testing.T) {
	v := New(nil, Options{})
	for src, fixable := range map[string]bool{
		"exp_name: a\nexp_name: a\n":                                          true,
		"exp_name: a\nexp_name: 'a'\n":                                        true,
		"training: {epoch: 1}\ntraining: {epoch: 1}\n":                        true,
		"exp_name: a\nexp_name: b\n":                                          false,
		"exp_name: a\nexp_name: a\nexp_name: b\n":                             false,
		"training: {epoch: 1, epoch: 1}\n":                                    false,
		"exp_name: e\nmetrics: {hmean: 1}\nmetrics: {hmean: 1.0}\n":           false,
		"exp_name: &x a\nexp_name: a\n":                                       false,
		"exp_name: e\ncreated_at: 2025-01-01\ncreated_at: '2025-01-01'\n":     false,
		"training:\n  epoch: 1\ntraining:\n  epoch: 1\n":                      true,
		"training:\n  epoch: 1\ntraining:\n  global_step: 1\n":                false,
		"exp_name: e\nmodel:\n  encoder: [1, 2]\nmodel:\n  encoder: [1, 2]\n": true,
	} {
		r := v.ValidateBytes("x.metadata.yaml", []byte(src))
		n := 0
		for _, f := range r.Findings {
			if f.Rule != "yaml/duplicate-key" {
				continue
			}
			n++
			if Fixable(f) != fixable {
				t.Errorf("%q: fixable = %v, want %v (hint %q)", src, Fixable(f), fixable, f.Hint)
			}
		}
		if n == 0 {
			t.Errorf("%q: no duplicate-key finding", src)
		}
	}
}
