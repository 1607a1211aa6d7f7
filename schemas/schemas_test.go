package schemas

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

func TestDefault(t *testing.T) {
	r := Default()
	want := []string{"0", "1.0", "1.1", "2.0"}
	got := r.Versions()
	if len(got) != len(want) {
		t.Fatalf("Versions() = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Versions() = %v, want %v", got, want)
		}
	}
	for _, s := range r.All() {
		if _, err := s.Compiled(); err != nil {
			t.Errorf("schema %s does not compile: %v", s.Version, err)
		}
		if s.ID == "" || s.Title == "" {
			t.Errorf("schema %s lacks $id or title", s.Version)
		}
	}
	if r.Latest().Version != "2.0" {
		t.Errorf("Latest() = %s", r.Latest().Version)
	}
}

func TestLookup(t *testing.T) {
	r := Default()
	for _, v := range []string{"1.0", "1.0.0", "1"} {
		s, err := r.Lookup(v)
		if err != nil || s.Version != "1.0" {
			t.Errorf("Lookup(%q) = %v, %v; want 1.0", v, s, err)
		}
	}
	_, err := r.Lookup("3.7")
	var uv *UnknownVersionError
	if !errors.As(err, &uv) || uv.Version != "3.7" {
		t.Fatalf("Lookup(3.7) error = %v", err)
	}
	if got := err.Error(); got != `unknown schema_version "3.7" (known: 0, 1.0, 1.1, 2.0)` {
		t.Errorf("error text = %q", got)
	}
	if !r.Newer("3.7") || r.Newer("1.1") || r.Newer("banana") {
		t.Error("Newer is wrong")
	}
	if c, _ := r.Compare("1.1", "1.0"); c != 1 {
		t.Errorf("Compare(1.1, 1.0) = %d", c)
	}
}

// seed is the sample sidecar of the project's seed document.
const seed = `{"schema_version":"1.0","checkpoint_path":"ocr_training-dbnet-pan_decoder-mobilenetv3_small_050_33/checkpoints/best.ckpt",
"exp_name":"ocr_training-dbnet-pan_decoder-mobilenetv3_small_050_33","created_at":"2025-10-19T13:36:50.323967",
"training":{"epoch":18,"global_step":3895,"training_phase":"training","max_epochs":25},
"model":{"architecture":"ocrmodel","encoder":{"model_name":"mobilenetv3_small_050","pretrained":true,"frozen":false},
"decoder":{"name":"unet","in_channels":[],"inner_channels":null,"output_channels":null,"params":{}},
"head":{"name":"unknown","in_channels":null,"params":{}},"loss":{"name":"unknown","params":{}}},
"metrics":{"precision":0.9508013093641193,"recall":0.954919726043792,"hmean":0.9524925344688172,"validation_loss":null,"additional_metrics":{}},
"checkpointing":{"monitor":"val/hmean","mode":"max","save_top_k":3,"save_last":true},
"hydra_config_path":"ocr_training-dbnet-pan_decoder-mobilenetv3_small_050_33/.hydra/config.yaml","wandb_run_id":null}`

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSeedSampleIsValid10(t *testing.T) {
	s, _ := Default().Lookup("1.0")
	if err := s.Validate(decode(t, seed)); err != nil {
		t.Fatalf("seed sample invalid: %v", err)
	}
	// The same document stamped 1.1 is valid 1.1 (additive minor version).
	v := decode(t, seed)
	v["schema_version"] = "1.1"
	s11, _ := Default().Lookup("1.1")
	if err := s11.Validate(v); err != nil {
		t.Fatalf("seed as 1.1 invalid: %v", err)
	}
}

func TestBounds10(t *testing.T) {
	s, _ := Default().Lookup("1.0")
	cases := map[string]func(m map[string]any){
		"negative epoch":  func(m map[string]any) { m["training"].(map[string]any)["epoch"] = -1 },
		"hmean above one": func(m map[string]any) { m["metrics"].(map[string]any)["hmean"] = 1.5 },
		"max_epochs -1":   func(m map[string]any) { m["training"].(map[string]any)["max_epochs"] = -1 },
		"save_top_k -2":   func(m map[string]any) { m["checkpointing"].(map[string]any)["save_top_k"] = -2 },
		"mode avg":        func(m map[string]any) { m["checkpointing"].(map[string]any)["mode"] = "avg" },
		"phase testing":   func(m map[string]any) { m["training"].(map[string]any)["training_phase"] = "testing" },
		"version float":   func(m map[string]any) { m["schema_version"] = 1.0 },
		"bad created_at":  func(m map[string]any) { m["created_at"] = "yesterday" },
		"nested dec param": func(m map[string]any) {
			m["model"].(map[string]any)["decoder"].(map[string]any)["params"] = map[string]any{"a": map[string]any{}}
		},
		"string loss param": func(m map[string]any) {
			m["model"].(map[string]any)["loss"].(map[string]any)["params"] = map[string]any{"alpha": "1"}
		},
		"missing monitor": func(m map[string]any) { delete(m["checkpointing"].(map[string]any), "monitor") },
	}
	for name, mutate := range cases {
		m := decode(t, seed)
		mutate(m)
		err := s.Validate(m)
		var ve *jsonschema.ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("%s: want a validation error, got %v", name, err)
		}
	}
	// Optional fields may be absent (the writer that omits nulls).
	m := decode(t, seed)
	delete(m, "wandb_run_id")
	delete(m, "hydra_config_path")
	delete(m["metrics"].(map[string]any), "validation_loss")
	delete(m["training"].(map[string]any), "max_epochs")
	if err := s.Validate(m); err != nil {
		t.Errorf("omitted optional fields: %v", err)
	}
}

// TestEmbeddedSchemasValid checks every embedded schema against the 2020-12 metaschema
// (Compile validates what it compiles): the check the registry's own compile skips
// (compileTrusted) is made here, once, for the files the build embeds.
func TestEmbeddedSchemasValid(t *testing.T) {
	for _, s := range Default().All() {
		if _, err := Compile(s.ID, s.source); err != nil {
			t.Errorf("schema %s is not a valid JSON Schema: %v", s.Version, err)
		}
	}
	// The check is real: a document the metaschema rejects does not compile through Compile.
	if _, err := Compile("https://example.invalid/bad.json", []byte(`{"type": 5}`)); err == nil {
		t.Error(`Compile accepted {"type": 5}`)
	}
}

// TestTrustedCompileJudgesAlike: the schemas compiled without the metaschema check reach
// the same verdicts, with the same error kinds and details at the same instance locations,
// as the ones compiled with it, on valid and invalid documents of each version. The one
// difference is the URL the schema was compiled under, which the library puts in the
// kind.Schema (and kind.Reference) nodes of the error tree; ckptmeta reports only instance
// locations and leaf kinds, so the test maps it back to the schema's $id.
func TestTrustedCompileJudgesAlike(t *testing.T) {
	mutations := map[string]func(m map[string]any){
		"as is":          func(map[string]any) {},
		"negative epoch": func(m map[string]any) { m["training"].(map[string]any)["epoch"] = -1 },
		"unknown key":    func(m map[string]any) { m["surprise"] = true },
		"bad created_at": func(m map[string]any) { m["created_at"] = "yesterday" },
		"no monitor":     func(m map[string]any) { delete(m["checkpointing"].(map[string]any), "monitor") },
		"mode avg":       func(m map[string]any) { m["checkpointing"].(map[string]any)["mode"] = "avg" },
		"not an object":  func(m map[string]any) { m["model"] = []any{1, "x"} },
	}
	var leaves func(e *jsonschema.ValidationError, out *[]string)
	leaves = func(e *jsonschema.ValidationError, out *[]string) {
		if k, ok := e.ErrorKind.(*kind.AdditionalProperties); ok {
			slices.Sort(k.Properties) // the library lists them in map order
		}
		*out = append(*out, fmt.Sprintf("%q %T %v", e.InstanceLocation, e.ErrorKind, e.ErrorKind))
		for _, c := range e.Causes {
			leaves(c, out)
		}
	}
	verdict := func(c *jsonschema.Schema, doc map[string]any, from, to string) []string {
		err := c.Validate(doc)
		if err == nil {
			return nil
		}
		var ve *jsonschema.ValidationError
		if !errors.As(err, &ve) {
			return []string{"not a validation error: " + err.Error()}
		}
		var out []string
		leaves(ve, &out)
		for i := range out {
			out[i] = strings.ReplaceAll(out[i], from, to)
		}
		slices.Sort(out) // sibling causes come in map order too
		return out
	}
	invalid := 0
	for _, s := range Default().All() {
		checked, err := Compile(s.ID, s.source)
		if err != nil {
			t.Fatal(err)
		}
		trusted, err := s.Compiled()
		if err != nil {
			t.Fatal(err)
		}
		for name, mutate := range mutations {
			doc := decode(t, seed)
			doc["schema_version"] = s.Version
			mutate(doc)
			want, got := verdict(checked, doc, "", ""), verdict(trusted, doc, trustedBase+path2id(s.ID), s.ID)
			if len(want) > 0 {
				invalid++
			}
			if !slices.Equal(got, want) {
				t.Errorf("schema %s, %s: trusted compile says\n%s\nthe checked one\n%s", s.Version, name, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		}
	}
	if invalid == 0 {
		t.Fatal("no document was invalid: the comparison proved nothing")
	}
}
