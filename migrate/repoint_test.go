package migrate

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckptmeta/ckptmeta/validate"
)

// A sidecar copied from another run (sidecar/misplaced) is re-pointed at the checkpoint it
// sits beside, and validate no longer reports it; a sidecar beside no checkpoint is left as it is.
func TestRunRepointsMisplacedSidecar(t *testing.T) {
	seed, err := os.ReadFile("../testdata/sidecars/valid/seed.ckpt.metadata.yaml")
	if err != nil {
		t.Fatal(err)
	}
	copied := strings.Replace(string(seed), "checkpoint_path: ocr_training-dbnet-pan_decoder-mobilenetv3_small_050_33/checkpoints/best.ckpt",
		"checkpoint_path: run_a/checkpoints/best.ckpt", 1)
	if copied == string(seed) {
		t.Fatal("seed sample changed; update this test")
	}
	root := filepath.Join(t.TempDir(), "outputs")
	dir := filepath.Join(root, "run_b", "checkpoints")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "best.ckpt"), []byte("the checkpoint"), 0o644); err != nil {
		t.Fatal(err)
	}
	side := filepath.Join(dir, "best.ckpt.metadata.yaml")
	orphan := filepath.Join(dir, "gone.ckpt.metadata.yaml")
	for _, p := range []string{side, orphan} {
		if err := os.WriteFile(p, []byte(copied), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rules := func(p string) []string {
		var out []string
		for _, f := range validate.New(nil, validate.Options{}).ValidateFile(p).Findings {
			out = append(out, f.Rule)
		}
		return out
	}
	if got := rules(side); len(got) != 1 || got[0] != "sidecar/misplaced" {
		t.Fatalf("before: %v", got)
	}

	// --check: the correction counts as a change, so the CI gate fails on a misplaced file.
	sum, err := Run(context.Background(), []string{side}, Options{To: "1.0", Check: true}, nil)
	if err != nil || sum.Changed != 1 {
		t.Fatalf("check: %+v %v", sum, err)
	}

	var results []*FileResult
	if _, err := Run(context.Background(), []string{dir}, Options{To: "1.0"}, func(r *FileResult) { results = append(results, r) }); err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		switch r.Path {
		case side:
			if r.Err != nil || !r.Written || len(r.Steps) != 0 || len(r.Fixes) != 1 ||
				r.Fixes[0] != "checkpoint_path: run_a/checkpoints/best.ckpt -> run_b/checkpoints/best.ckpt" {
				t.Errorf("misplaced: %+v", r)
			}
		case orphan:
			if r.Changed || len(r.Fixes) != 0 {
				t.Errorf("orphan was changed: %+v", r)
			}
		}
	}
	got, _ := os.ReadFile(side)
	if want := strings.Replace(copied, "run_a/", "run_b/", 1); string(got) != want {
		t.Errorf("only checkpoint_path should change:\n%s", got)
	}
	if got := rules(side); len(got) != 0 {
		t.Errorf("after: %v", got)
	}
}
