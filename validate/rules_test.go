package validate

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

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
