package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// catalogMemoryLimit is the peak resident set size `list` and `status` may reach over the
// 50,000-sidecar tree (issue 10: "memory stays flat").
const catalogMemoryLimit = 64 << 20

// TestCatalogMemoryIsFlat runs the real binary's `list` and `status` over 50,000 sidecars
// (1,000 runs of 50; every other one beside its checkpoint, the rest from sidecars alone) and
// fails when the peak RSS the kernel reports (getrusage ru_maxrss) reaches 64 MB.
func TestCatalogMemoryIsFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 75,000 files; not in -short")
	}
	bin := realBinary(t)
	root := filepath.Join(t.TempDir(), "outputs")
	start := time.Now()
	makeSidecarTree(t, root, 1000, 50)
	t.Logf("tree of 50,000 sidecars written in %v", time.Since(start).Round(time.Millisecond))
	for _, args := range [][]string{
		{"list", "-o", "json", root},
		{"list", "--sort", "-hmean", root},
		{"status", "-o", "json", root},
	} {
		cmd := exec.Command(bin, args...)
		devnull, err := os.Open(os.DevNull)
		if err != nil {
			t.Fatal(err)
		}
		out, err := os.Create(filepath.Join(t.TempDir(), "out"))
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdin, cmd.Stdout = devnull, out
		var stderr strings.Builder
		cmd.Stderr = &stderr
		start := time.Now()
		err = cmd.Run()
		devnull.Close()
		info, _ := out.Stat()
		out.Close()
		if cmd.ProcessState == nil {
			t.Fatalf("%v: %v", args, err)
		}
		if code := cmd.ProcessState.ExitCode(); code > 1 {
			t.Fatalf("%v: exit %d\n%s", args, code, stderr.String())
		}
		peak := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10 // KiB on Linux
		t.Logf("%-28s peak RSS %5.1f MB, %v, %d bytes of output", strings.Join(args[:len(args)-1], " "),
			float64(peak)/(1<<20), time.Since(start).Round(time.Millisecond), info.Size())
		if peak >= catalogMemoryLimit {
			t.Errorf("%v: peak RSS %.1f MB, want under %d MB", args, float64(peak)/(1<<20), catalogMemoryLimit>>20)
		}
		if info.Size() < 50000 {
			t.Errorf("%v: only %d bytes of output for 50,000 sidecars", args, info.Size())
		}
	}
}

// makeSidecarTree writes runs × perRun sidecars (2.0 and 1.0, every tenth invalid) under
// root/<run>/checkpoints/, with a checkpoint file beside those of even-numbered runs.
func makeSidecarTree(t *testing.T, root string, runs, perRun int) {
	t.Helper()
	for r := range runs {
		run := fmt.Sprintf("exp%04d", r)
		dir := filepath.Join(root, run, "checkpoints")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i := range perRun {
			name := fmt.Sprintf("epoch-%02d_step-%06d.ckpt", i, i*97)
			rel := run + "/checkpoints/" + name
			hmean := fmt.Sprintf("0.%04d", (r*perRun+i)%10000)
			if i%10 == 9 {
				hmean = "87.4" // invalid: must be <= 1
			}
			var doc string
			if i%2 == 0 {
				doc = fmt.Sprintf(`schema_version: '2.0'
experiment: {name: %s, wandb_run_id: null}
checkpoint: {path: %s, lightning_version: 2.1.3}
created_at: '2025-10-19T13:36:50.323967'
training: {epoch: %d, global_step: %d, training_phase: training, max_epochs: 50}
model:
  architecture: dbnet
  encoder: {model_name: resnet18, pretrained: true, frozen: false}
  decoder: {name: pan_decoder, inner_channels: 96, output_channels: 128, params: {}}
  head: {name: db_head, in_channels: 128, params: {k: 50}}
  loss: {name: db_loss, params: {negative_ratio: 3.0}}
metrics:
  monitor: val/hmean
  mode: max
  best: %s
  values: {precision: 0.9, recall: 0.9, hmean: %s, validation_loss: 0.5}
  additional: {}
checkpointing: {save_top_k: 3, every_n_epochs: 1}
`, run, rel, i, i*97, hmean, hmean)
			} else {
				doc = fmt.Sprintf(`schema_version: '1.0'
checkpoint_path: %s
exp_name: %s
created_at: '2025-10-19T13:36:50.323967'
training: {epoch: %d, global_step: %d}
model:
  architecture: dbnet
  encoder: {model_name: resnet18}
  decoder: {name: pan_decoder}
  head: {name: db_head}
  loss: {name: db_loss}
metrics: {precision: 0.9, recall: 0.9, hmean: %s}
checkpointing: {monitor: val/hmean, mode: max}
`, rel, run, i, i*97, hmean)
			}
			if err := os.WriteFile(filepath.Join(dir, name+".metadata.yaml"), []byte(doc), 0o644); err != nil {
				t.Fatal(err)
			}
			if r%2 == 0 {
				if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}
