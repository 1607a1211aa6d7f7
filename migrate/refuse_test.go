package migrate

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/ckptmeta/ckptmeta/schemas"
)

const base11 = `schema_version: '1.1'
checkpoint_path: a/checkpoints/last.ckpt
exp_name: a
created_at: '2025-01-02T03:04:05'
training: {epoch: 1, global_step: 10}
model: {architecture: dbnet, encoder: {model_name: r18}, decoder: {name: unet}, head: {name: db}, loss: {name: dbl}}
checkpointing: {monitor: val/hmean, mode: max}
`

const base20 = `schema_version: '2.0'
experiment: {name: a}
checkpoint: {path: a/checkpoints/last.ckpt}
created_at: '2025-01-02T03:04:05'
training: {epoch: 1, global_step: 10}
`

func TestRefusals(t *testing.T) {
	tests := []struct {
		name       string
		src        string
		to         string
		lossy      bool
		wantLoss   []string
		wantReq    []string
		wantCollid []string
		wantErr    error
		wantOK     bool
	}{
		{name: "1.1->1.0 lightning_version and fingerprint", to: "1.0",
			src:      base11 + "metrics: {hmean: 0.5}\nlightning_version: 2.1.0\ncheckpoint_fingerprint: {size: 1, mtime: '2025-01-01T00:00:00Z', data_pkl_sha256: " + strings.Repeat("a", 64) + "}\n",
			wantLoss: []string{"/checkpoint_fingerprint", "/lightning_version"}},
		{name: "1.1->1.0 lossy allowed", to: "1.0", lossy: true,
			src: base11 + "metrics: {hmean: 0.5}\nlightning_version: 2.1.0\n", wantOK: true},
		{name: "1.1->1.0 null facts are not lost", to: "1.0",
			src: base11 + "metrics: {hmean: 0.5}\nlightning_version: null\ncheckpoint_fingerprint: null\n", wantOK: true},
		{name: "1.1->2.0 collision with a different value", to: "2.0",
			src:        base11 + "metrics: {hmean: 0.5, recall: 0.4, additional_metrics: {hmean: 0.6, recall: 0.4, precision: 0.3}}\n",
			wantCollid: []string{"hmean", "precision"}},
		{name: "1.1->2.0 collision even when lossy", to: "2.0", lossy: true,
			src:        base11 + "metrics: {additional_metrics: {validation_loss: 0.1}}\n",
			wantCollid: []string{"validation_loss"}},
		{name: "1.1->2.0 equal values fold", to: "2.0",
			src: base11 + "metrics: {hmean: 0.5, additional_metrics: {hmean: 0.50}}\n", wantOK: true},
		{name: "2.0->1.1 missing monitor, mode and parts", to: "1.1",
			src:     base20 + "model: {architecture: parseq, encoder: {model_name: vit}, decoder: null}\nmetrics: {values: {acc: 0.9}}\n",
			wantReq: []string{"/metrics/monitor", "/metrics/mode", "/model/decoder", "/model/head", "/model/loss"}},
		{name: "2.0->1.1 missing facts even when lossy", to: "1.0", lossy: true,
			src:     base20 + "model: {architecture: x, encoder: {model_name: a}, decoder: {name: b}, head: {name: c}, loss: {name: d}}\nmetrics: {mode: max}\n",
			wantReq: []string{"/metrics/monitor"}},
		{name: "2.0->1.1 best and components", to: "1.1",
			src:      base20 + "model: {architecture: x, encoder: {model_name: a}, decoder: {name: b}, head: {name: c}, loss: {name: d}, components: {neck: {name: fpn}, tokenizer: {name: bpe}}}\nmetrics: {monitor: val/acc, mode: max, best: 0.9}\n",
			wantLoss: []string{"/metrics/best", "/model/components/neck", "/model/components/tokenizer"}},
		{name: "2.0->1.1 best and components, lossy", to: "1.1", lossy: true,
			src:    base20 + "model: {architecture: x, encoder: {model_name: a}, decoder: {name: b}, head: {name: c}, loss: {name: d}, components: {neck: {name: fpn}}}\nmetrics: {monitor: val/acc, mode: max, best: 0.9}\n",
			wantOK: true},
		{name: "2.0->1.1 keys 1.1 has no place for", to: "1.1",
			src:      strings.Replace(strings.Replace(base20, "experiment: {name: a}", "experiment: {name: a, team: ocr}", 1), "checkpoint: {path: a/checkpoints/last.ckpt}", "checkpoint: {path: a/checkpoints/last.ckpt, sha256: null}", 1) + "sources: {hydra_config: null, dataset: icdar}\nmodel: {architecture: x, encoder: {model_name: a}, decoder: {name: b}, head: {name: c}, loss: {name: d}}\nmetrics: {monitor: val/acc, mode: max}\n",
			wantLoss: []string{"/checkpoint/sha256", "/experiment/team", "/sources/dataset"}},
		{name: "2.0->1.1 logged names a missing value", to: "1.1",
			src:     base20 + "model: {architecture: x, encoder: {model_name: a}, decoder: {name: b}, head: {name: c}, loss: {name: d}}\nmetrics: {monitor: val/acc, mode: max, values: {hmean: 0.5}, logged: [val/acc]}\n",
			wantErr: ErrShape},
		{name: "0->1.0 extra component roles and list metrics", to: "1.0",
			src:      `{"checkpoint_path": "a.ckpt", "created_at": "2025-01-01", "training": {"epoch": 0, "global_step": 0}, "model": {"architecture": "x", "encoder": "r", "components": {"neck": {"name": "fpn"}}}, "metrics": {"val/hmean": 0.5, "hist": [1, 2]}, "config": {"monitor": "val/hmean", "mode": "max"}}`,
			wantLoss: []string{"/metrics/hist", "/model/components/neck"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := MigrateBytes("outputs/e/checkpoints/x.metadata.yaml", []byte(tc.src), Options{To: tc.to, AllowLossy: tc.lossy})
			var le *LossError
			var re *RequiredError
			var ce *CollisionError
			var se *StepError
			switch {
			case tc.wantOK:
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				assertValid(t, m.To, m.Data)
				return
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			case tc.wantLoss != nil:
				if !errors.As(err, &le) || !reflect.DeepEqual(le.Fields, tc.wantLoss) {
					t.Fatalf("err = %v, want *LossError %v", err, tc.wantLoss)
				}
			case tc.wantReq != nil:
				if !errors.As(err, &re) || !reflect.DeepEqual(re.Fields, tc.wantReq) {
					t.Fatalf("err = %v, want *RequiredError %v", err, tc.wantReq)
				}
			case tc.wantCollid != nil:
				if !errors.As(err, &ce) || !reflect.DeepEqual(ce.Keys, tc.wantCollid) {
					t.Fatalf("err = %v, want *CollisionError %v", err, tc.wantCollid)
				}
			}
			if !errors.As(err, &se) {
				t.Errorf("refusal is not inside a *StepError: %T", err)
			}
			if !refusal(err) {
				t.Errorf("refusal(%v) = false", err)
			}
		})
	}
}

// TestStepErrorApplied: a failure in the second step names the first as applied.
func TestStepErrorApplied(t *testing.T) {
	src := base11[:len(base11)] // 1.1 -> 2.0 fails on the collision
	src = strings.Replace(src, "'1.1'", "'1.0'", 1) + "metrics: {hmean: 0.5, additional_metrics: {hmean: 0.6}}\n"
	_, err := MigrateBytes("x.metadata.yaml", []byte(src), Options{})
	var se *StepError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want *StepError", err)
	}
	if se.From != "1.1" || se.To != "2.0" || !reflect.DeepEqual(se.Applied, []string{"1.0->1.1"}) {
		t.Errorf("StepError = %+v", se)
	}
}

func TestInputErrors(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		check func(error) bool
	}{
		{"newer", "schema_version: '3.0'\nx: 1\n", func(err error) bool { var e *NewerVersionError; return errors.As(err, &e) && e.Version == "3.0" }},
		{"unknown", "schema_version: '1.5'\nx: 1\n", func(err error) bool { var e *schemas.UnknownVersionError; return errors.As(err, &e) }},
		{"syntax", "a: [\n", func(err error) bool { var e *ParseError; return errors.As(err, &e) && e.Rule == "yaml/syntax" }},
		{"duplicate key", "schema_version: '1.0'\na: 1\na: 2\n", func(err error) bool {
			var e *ParseError
			return errors.As(err, &e) && e.Rule == "yaml/duplicate-key"
		}},
		{"two documents", "a: 1\n---\na: 2\n", func(err error) bool { var e *ParseError; return errors.As(err, &e) }},
		{"not a mapping", "- 1\n- 2\n", func(err error) bool { var e *ParseError; return errors.As(err, &e) }},
		{"invalid in its own version", base11 + "metrics: {hmean: 1.5}\n", func(err error) bool {
			var e *InvalidError
			return errors.As(err, &e) && e.Version == "1.1"
		}},
		{"non-finite", base11 + "metrics: {hmean: .nan}\n", func(err error) bool { var e *InvalidError; return errors.As(err, &e) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := MigrateBytes("x.metadata.yaml", []byte(tc.src), Options{})
			if !tc.check(err) {
				t.Fatalf("err = %v (%T)", err, err)
			}
		})
	}
}

// TestUnknownKeysCarried: keys no schema knows are warnings, not failures; they ride along.
func TestUnknownKeysCarried(t *testing.T) {
	src := base11 + "metrics: {hmean: 0.5}\nnotes: keep me\n"
	m, err := MigrateBytes("x.metadata.yaml", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(m.Data), "notes: keep me") {
		t.Errorf("unknown key dropped:\n%s", m.Data)
	}
}

// TestMigrateBytesStdin: a nameless document (stdin) that starts with "{" is legacy JSON;
// with no path the experiment name is "unknown".
func TestMigrateBytesStdin(t *testing.T) {
	src := readFixture(t, "../testdata/sidecars/legacy/v0.metadata.json")
	m, err := MigrateBytes("-", src, Options{To: "1.0"})
	if err != nil {
		t.Fatal(err)
	}
	if !m.JSON || !m.Changed || m.From != "0" || m.To != "1.0" {
		t.Errorf("Migrated = %+v", m)
	}
	assertValid(t, "1.0", m.Data)
	if !strings.Contains(string(m.Data), "\nexp_name: unknown\n") || strings.Contains(string(m.Data), "{\"") || strings.Contains(string(m.Data), "\"") {
		t.Errorf("output:\n%s", m.Data)
	}
}

// TestInvalidErrorText: the message lists the problems by pointer, sorted, without the
// schema's URL (it is user-visible text).
func TestInvalidErrorText(t *testing.T) {
	src := strings.Replace(base11, "epoch: 1,", "epoch: -1,", 1) + "metrics: {hmean: 87.4}\n"
	_, err := MigrateBytes("x.metadata.yaml", []byte(src), Options{})
	var ie *InvalidError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v", err)
	}
	want := "migrate: not valid 1.1: /metrics/hmean: maximum: got 87.4, want 1; /training/epoch: minimum: got -1, want 0"
	if err.Error() != want {
		t.Errorf("got  %s\nwant %s", err, want)
	}
}
