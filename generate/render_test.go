package generate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os/exec"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ckptmeta/ckptmeta/internal/pyyaml"
	"github.com/ckptmeta/ckptmeta/internal/testenv"
	"github.com/ckptmeta/ckptmeta/schemas"
	"go.yaml.in/yaml/v3"
)

// trickyStrings are strings that YAML 1.1 (PyYAML) or 1.2 (yaml.v3) would read as
// something else when written plain, plus harmless ones that must stay plain.
var trickyStrings = []string{
	"1.0", "2.0", "1", "0", "-1", "+1", "0x1F", "0o17", "0b101", "017", "1_000", "1e3", "1.5e+3", ".5", "1.",
	"190:20:30", "1:20", ".inf", "-.inf", ".nan", ".NaN",
	"yes", "No", "ON", "off", "y", "n", "true", "False", "TRUE",
	"null", "Null", "~", "", "<<", "=",
	"2025-10-19", "2025-10-19T13:36:50.323967", "2025-10-19 13:36:50", "2001-12-14t21:59:43.10-05:00",
	"2.1.3", "val/hmean", "epoch=10-step=1133.ckpt", "tit2247i", "ocr_training-dbnet",
	"- item", "key: value", "# comment", "a #b", " lead", "trail ", "{x}", "[1]", "@at", "`tick", "!tag", "&a", "*a", "%p", "|", ">",
	"it's", `quote"d`, "multi\nline", "tab\there", "ünïcode",
}

// TestFloatNode: floats are written as PyYAML writes them, and read back exactly.
func TestFloatNode(t *testing.T) {
	for _, tt := range []struct {
		f    float64
		want string
	}{
		{0.1, "0.1"}, {10, "10.0"}, {0, "0.0"}, {-0.5, "-0.5"}, {1e-06, "1.0e-06"}, {1.5e-05, "1.5e-05"},
		{0.0001, "0.0001"}, {1e16, "1.0e+16"}, {1.2345678901234568e+17, "1.2345678901234568e+17"},
		{123456789012345.6, "123456789012345.6"}, {1234567.0, "1234567.0"}, {0.9524925344688172, "0.9524925344688172"},
	} {
		got := floatNode(tt.f).Value
		if got != tt.want {
			t.Errorf("floatNode(%v) = %q, want %q", tt.f, got, tt.want)
		}
		var back float64
		if err := yaml.Unmarshal([]byte(got), &back); err != nil || back != tt.f {
			t.Errorf("yaml.v3 reads %q as %v (%v)", got, back, err)
		}
	}
}

// quotingDoc renders trickyStrings as s0..sN and some floats as f0..fN.
func quotingDoc(t *testing.T, floats []float64) []byte {
	t.Helper()
	root := mapping()
	for i, s := range trickyStrings {
		put(root, fmt.Sprintf("s%d", i), str(s))
	}
	for i, f := range floats {
		put(root, fmt.Sprintf("f%d", i), floatNode(f))
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(document(root)); err != nil {
		t.Fatal(err)
	}
	enc.Close()
	return buf.Bytes()
}

var quotingFloats = []float64{0.1, 10, 1e-06, 1e16, 0.9524925344688172, 3, -2.5e-07}

func TestStringsRoundTripYAMLv3(t *testing.T) {
	doc := quotingDoc(t, quotingFloats)
	var got map[string]any
	if err := yaml.Unmarshal(doc, &got); err != nil {
		t.Fatal(err)
	}
	for i, s := range trickyStrings {
		if v := got[fmt.Sprintf("s%d", i)]; v != s {
			t.Errorf("%q came back as %#v", s, v)
		}
	}
	for i, f := range quotingFloats {
		if v := got[fmt.Sprintf("f%d", i)]; v != f {
			t.Errorf("%v came back as %#v", f, v)
		}
	}
}

// TestStringsRoundTripPyYAML proves PyYAML's safe_load reads every string as that string
// and every float as that float.
func TestStringsRoundTripPyYAML(t *testing.T) {
	py := testenv.Python(t, "yaml")
	doc := quotingDoc(t, quotingFloats)
	cmd := exec.Command(py, "-c", `
import json, sys, yaml
d = yaml.safe_load(sys.stdin)
print(json.dumps({k: [type(v).__name__, v if isinstance(v, (str, float)) else repr(v)] for k, v in d.items()}))
`)
	cmd.Stdin = bytes.NewReader(doc)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var got map[string][2]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for i, s := range trickyStrings {
		v := got[fmt.Sprintf("s%d", i)]
		if v[0] != "str" || v[1] != s {
			t.Errorf("PyYAML reads %q as %s %v", s, v[0], v[1])
		}
	}
	for i, f := range quotingFloats {
		v := got[fmt.Sprintf("f%d", i)]
		if v[0] != "float" || v[1] != f {
			t.Errorf("PyYAML reads %v as %s %v", f, v[0], v[1])
		}
	}
}

func minimalFacts() *Facts {
	return &Facts{
		Path: "exp/checkpoints/best.ckpt", ExpName: "1.0", Epoch: i64(3), GlobalStep: i64(300),
		TrainingPhase: "training", Sources: map[string]Source{},
	}
}

func TestRenderVersions(t *testing.T) {
	for _, v := range append([]string{"", "latest", "1.0.0"}, schemas.Default().Versions()[1:]...) {
		t.Run("version "+v, func(t *testing.T) {
			data, err := Render(minimalFacts(), v, Options{Now: fixedNow})
			if err != nil {
				t.Fatal(err)
			}
			want := v
			switch v {
			case "", "latest":
				want = schemas.Default().Latest().Version
			case "1.0.0":
				want = "1.0"
			}
			if !bytes.HasPrefix(data, []byte("schema_version: '"+want+"'\n")) {
				t.Errorf("got\n%s", data)
			}
			if !bytes.Contains(data, []byte("'1.0'")) && want != "1.0" {
				// exp_name "1.0" must be quoted wherever it is written
				t.Errorf("exp_name 1.0 unquoted:\n%s", data)
			}
			if !bytes.Contains(data, []byte("created_at: '2025-10-19T13:36:50.323967+00:00'")) {
				t.Errorf("created_at not quoted or not the clock's:\n%s", data)
			}
		})
	}
	t.Run("legacy cannot be written", func(t *testing.T) {
		if _, err := Render(minimalFacts(), "0", Options{}); err == nil {
			t.Error("no error")
		}
	})
	t.Run("unknown version", func(t *testing.T) {
		_, err := Render(minimalFacts(), "3.1", Options{})
		var uv *schemas.UnknownVersionError
		if !errors.As(err, &uv) {
			t.Errorf("err = %v, want UnknownVersionError", err)
		}
	})
}

// TestRenderValidatesItsOutput: facts outside the schema's bounds never become a sidecar.
func TestRenderValidatesItsOutput(t *testing.T) {
	f := minimalFacts()
	f.Metrics.Hmean = f64(1.5)
	for _, v := range []string{"1.0", "1.1", "2.0"} {
		if _, err := Render(f, v, Options{}); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "/hmean") {
			t.Errorf("%s: err = %v, want ErrInvalid naming hmean", v, err)
		}
	}
}

// TestRenderNonFinite: a non-finite value that reached the facts is written as null.
func TestRenderNonFinite(t *testing.T) {
	f := minimalFacts()
	f.Metrics.Best = f64(math.Inf(1))
	f.Metrics.Additional = map[string]float64{"val/loss": math.NaN()}
	data, err := Render(f, "2.0", Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"best: null", "val/loss: null"} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("no %q in\n%s", want, data)
		}
	}
}

// TestRender1xUnknowns pins the unknown conventions: "unknown" names, mode max, nulls for
// nullable fields, defaults left out.
func TestRender1xUnknowns(t *testing.T) {
	data, err := Render(minimalFacts(), "1.0", Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	model := doc["model"].(map[string]any)
	for _, part := range []string{"decoder", "head", "loss"} {
		if model[part].(map[string]any)["name"] != Unknown {
			t.Errorf("model.%s.name = %v", part, model[part])
		}
	}
	// Every key is written (the Jan-2026 model requires them all), unknowns as the 1.0
	// model's defaults.
	enc := model["encoder"].(map[string]any)
	if len(enc) != 3 || enc["model_name"] != Unknown || enc["pretrained"] != true || enc["frozen"] != false {
		t.Errorf("encoder = %v, want model_name unknown, pretrained true, frozen false", enc)
	}
	if in, ok := model["decoder"].(map[string]any)["in_channels"].([]any); !ok || len(in) != 0 {
		t.Errorf("decoder.in_channels = %v, want []", model["decoder"])
	}
	cp := doc["checkpointing"].(map[string]any)
	if len(cp) != 4 || cp["monitor"] != Unknown || cp["mode"] != "max" || cp["save_top_k"] != 1 || cp["save_last"] != true {
		t.Errorf("checkpointing = %v", cp)
	}
	for _, k := range []string{"hydra_config_path", "wandb_run_id"} {
		if v, ok := doc[k]; !ok || v != nil {
			t.Errorf("%s = %v, %v; want null", k, v, ok)
		}
	}
	if doc["exp_name"] != "1.0" {
		t.Errorf("exp_name = %#v", doc["exp_name"])
	}
}

func FuzzStr(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return // yaml.v3 writes invalid UTF-8 as !!binary, by design
		}
		root := mapping()
		put(root, "k", str(s))
		var buf bytes.Buffer
		enc := yaml.NewEncoder(&buf)
		if err := enc.Encode(document(root)); err != nil {
			return // yaml.v3 refuses some control characters; that is not a silent misread
		}
		enc.Close()
		var got map[string]any
		if err := yaml.Unmarshal(buf.Bytes(), &got); err != nil {
			t.Fatalf("%q: %v\n%s", s, err, buf.Bytes())
		}
		if got["k"] != s {
			t.Fatalf("%q came back as %#v\n%s", s, got["k"], buf.Bytes())
		}
		// What PyYAML would resolve must be quoted.
		if pyyaml.NeedsQuotes(s) && bytes.HasPrefix(buf.Bytes(), []byte("k: "+s+"\n")) {
			t.Fatalf("%q written plain", s)
		}
	})
}

func TestGuessMode(t *testing.T) {
	for monitor, want := range map[string]string{
		"val/hmean": "max", "val_loss": "min", "val/loss": "min", "val/cer": "min", "train.error_rate": "min",
		"": "max", "unknown": "max", "val/precision": "max", "loss/val_hmean": "max",
	} {
		if got := guessMode(monitor); got != want {
			t.Errorf("guessMode(%q) = %q, want %q", monitor, got, want)
		}
	}
}
