package generate

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ckptmeta/ckptmeta/internal/ckpt"
)

// FuzzHydraConfig feeds arbitrary Hydra configs to Extract and renders the result at every
// version: whatever a config says, extraction must not panic and every render must be valid
// (an ErrInvalid here is a value that slipped past the filters).
func FuzzHydraConfig(f *testing.F) {
	for _, p := range []string{
		"../testdata/outputs/ocr_training-dbnet-pan_decoder-mobilenetv3_small_050_33/.hydra/config.yaml",
		"../testdata/outputs/det_resnet50_v1/.hydra/config.yaml",
		"../testdata/outputs/experiments/train/ocr/parseq_baseline/20260111_104512_42/.hydra/config.yaml",
	} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(octConfig))
	f.Add([]byte(v5Config))
	f.Add([]byte("model: {architecture: '1.0', decoder: {name: [1], in_channels: [-1, x]}}\ntrainer: {max_epochs: 1.5}\n"))
	f.Add([]byte("a: &x {b: *x}\n"))
	f.Fuzz(func(t *testing.T, cfg []byte) {
		dir := t.TempDir()
		run := filepath.Join(dir, "outputs", "exp")
		if err := os.MkdirAll(filepath.Join(run, ".hydra"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(run, ".hydra", "config.yaml"), cfg, 0o644); err != nil {
			t.Fatal(err)
		}
		r := &ckpt.Reader{Root: map[string]any{"epoch": int64(1), "global_step": int64(2)}}
		facts, err := Extract(r, filepath.Join(run, "checkpoints", "best.ckpt"), Options{})
		if err != nil {
			t.Fatalf("extract: %v", err)
		}
		for _, v := range []string{"1.0", "1.1", "2.0"} {
			if _, err := Render(facts, v, Options{Now: fixedNow}); err != nil {
				if errors.Is(err, ErrInvalid) {
					t.Fatalf("%s: %v\nfacts: %s", v, err, show(facts))
				}
				t.Fatalf("%s: %v", v, err)
			}
		}
	})
}

// FuzzParseName: file names never panic and give non-negative numbers.
func FuzzParseName(f *testing.F) {
	for _, s := range []string{"epoch=10-step=1133.ckpt", "epoch-18_step-003895.ckpt", "best-hmean-0.8920.ckpt", "epoch_epoch_22_step_step_001932_20251009_015037.ckpt"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		n := parseName(name)
		if n.Epoch != nil && *n.Epoch < 0 || n.Step != nil && *n.Step < 0 || n.Value < 0 || n.Value > 1 {
			t.Fatalf("%q: %+v", name, n)
		}
	})
}
