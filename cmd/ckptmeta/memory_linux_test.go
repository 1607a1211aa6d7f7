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

// memoryLimit is the peak resident set size validate, status and list may reach at 100,000
// sidecars (issue 12: "peak RSS ≤ 64 MB at 100,000 files"), and maxGrowth how much more that
// may be than at 10,000 (issue 12: "growth from 10,000 to 100,000 files under 1.5×").
const (
	memoryLimit = 64 << 20
	maxGrowth   = 1.5
)

// TestMemoryIsFlat runs the real binary's validate, status and list over 10,000 sidecars and
// over 100,000 (one tree: ten parts of 10,000, the first part alone and then the whole),
// without the results cache, filling it, and reading it, and fails when a command's peak RSS
// (getrusage ru_maxrss of the child) reaches 64 MB at 100,000, or grows by 1.5× or more from
// 10,000 to 100,000, in every mode. The tree is 2,000 runs of 50 sidecars (2.0 and 1.0, every
// tenth invalid), a checkpoint beside those of every other run (half the sidecars are
// orphans: the walk sees 150,000 files).
func TestMemoryIsFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 150,000 files; not in -short")
	}
	bin := realBinary(t)
	root := filepath.Join(t.TempDir(), "outputs")
	start := time.Now()
	for part := range 10 {
		makeSidecarTree(t, filepath.Join(root, fmt.Sprintf("part%d", part)), 200, 50)
	}
	t.Logf("tree of 100,000 sidecars written in %v", time.Since(start).Round(time.Millisecond))
	small := filepath.Join(root, "part0")
	// One cache directory per tree: a table keeps the records of files a run does not visit,
	// so a 10,000-sidecar run over the 100,000 tree's cache would read 100,000 records and
	// the ratio would hide the growth.
	cache10k, cache100k := t.TempDir(), t.TempDir()
	for _, cmd := range [][]string{
		{"validate"},
		{"status", "-o", "json"},
		{"list", "--sort", "-hmean"}, // sorted through a scratch file; -o json streams
	} {
		// Without the results cache; then with it, empty (it is written: "cold") and full
		// ("warm": it is read, each record's index entry held).
		for _, mode := range []string{"no cache", "cold cache", "warm cache"} {
			run := func(path, cacheDir string, minOutput int64) int64 {
				args := append(append([]string(nil), cmd...), "--no-cache", path)
				if mode != "no cache" {
					args = append(append([]string(nil), cmd...), "--cache-dir", cacheDir, path)
				}
				return peakRSS(t, bin, args, minOutput)
			}
			at10k := run(small, cache10k, 10000)
			at100k := run(root, cache100k, 100000)
			growth := float64(at100k) / float64(at10k)
			t.Logf("%-20s %-10s peak RSS %5.1f MB at 10,000, %5.1f MB at 100,000: %.2f×", strings.Join(cmd, " "), mode,
				mb(at10k), mb(at100k), growth)
			if at100k >= memoryLimit {
				t.Errorf("%v, %s: peak RSS %.1f MB at 100,000 sidecars, want under %d MB", cmd, mode, mb(at100k), memoryLimit>>20)
			}
			if growth >= maxGrowth {
				t.Errorf("%v, %s: peak RSS grows %.2f× from 10,000 to 100,000 sidecars (%.1f → %.1f MB), want under %.1f×",
					cmd, mode, growth, mb(at10k), mb(at100k), maxGrowth)
			}
		}
	}
}

func mb(n int64) float64 { return float64(n) / (1 << 20) }

// peakRSS runs bin with args (exit 0 or 1: the tree has findings), its output to a file, and
// returns the child's peak RSS in bytes. The output must be at least minOutput bytes (a
// command that printed nothing proves nothing about memory).
func peakRSS(t *testing.T, bin string, args []string, minOutput int64) int64 {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "GOMEMLIMIT=", "GOGC=") // the binary's own settings are measured
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	out, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd.Stdin, cmd.Stdout = devnull, out
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	err = cmd.Run()
	if cmd.ProcessState == nil {
		t.Fatalf("%v: %v", args, err)
	}
	if code := cmd.ProcessState.ExitCode(); code > 1 {
		t.Fatalf("%v: exit %d\n%s", args, code, stderr.String())
	}
	info, err := out.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if info.Size() < minOutput {
		t.Fatalf("%v: only %d bytes of output", args, info.Size())
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	t.Logf("  %v: %v wall, %v user, %d bytes of output", args, time.Since(start).Round(time.Millisecond),
		time.Duration(ru.Utime.Nano()).Round(time.Millisecond), info.Size())
	return ru.Maxrss << 10 // KiB on Linux
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
