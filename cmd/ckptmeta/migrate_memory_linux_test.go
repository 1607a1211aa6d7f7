package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ckptmeta/ckptmeta/validate"
)

// migrateMemoryLimit is the peak RSS `migrate` may reach on a hostile tree: its files are
// admitted while their estimated cost sums to 256 MiB (migrate.DefaultMemoryBudget); the
// Go collector lets the heap grow past what is live, and the runtime itself takes some.
const migrateMemoryLimit = 512 << 20

// TestMigrateMemoryIsBounded runs the real binary's `migrate --dry-run --jobs 64` over 64
// valid sidecars that each carry a flow list just under validate's node budget (the
// "sixteen valid 800 KB flow-style sidecars" of issue 14, at the size validate still
// reads), and fails when the peak RSS the kernel reports reaches migrateMemoryLimit.
// Admitted by count only (the budget lifted), all 64 were in flight at once: 966 MB;
// admitted by cost, 160 MB.
func TestMigrateMemoryIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("migrates 64 large sidecars; not in -short")
	}
	bin := realBinary(t)
	seed, err := os.ReadFile("../../migrate/testdata/golden/1.0_1.1/seed-comments.in.yaml")
	if err != nil {
		t.Fatal(err)
	}
	list := "notes: [" + strings.Repeat("0, ", (validate.MaxNodes-1000)/2) + "0]\n" // a flow item costs 2
	root := filepath.Join(t.TempDir(), "outputs")
	for i := range 64 {
		dir := filepath.Join(root, fmt.Sprintf("run%02d", i), "checkpoints")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "best.ckpt.metadata.yaml"), append(append([]byte(nil), seed...), list...), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, "migrate", "--dry-run", "--jobs", "64", root)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if cmd.ProcessState == nil {
		t.Fatalf("migrate: %v", err)
	}
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit %d, want 0\n%s\n%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "64 files") {
		t.Errorf("summary: %s", stdout.String())
	}
	peak := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10 // KiB on Linux
	t.Logf("migrate --dry-run --jobs 64, 64 × %d-byte flow sidecars: peak RSS %.1f MB", len(seed)+len(list), float64(peak)/(1<<20))
	if peak >= migrateMemoryLimit {
		t.Errorf("peak RSS %.1f MB, want under %d MB", float64(peak)/(1<<20), migrateMemoryLimit>>20)
	}
}

// TestMigrateSingleHostileInput: one hostile sidecar (each shape just under validate's
// node budget, the rest of it a valid 1.0 sidecar, so every step runs) costs the real
// binary's `migrate --dry-run` a peak RSS under 64 MB, runtime included.
func TestMigrateSingleHostileInput(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; not in -short")
	}
	bin := realBinary(t)
	seed, err := os.ReadFile("../../migrate/testdata/golden/1.0_1.1/seed-comments.in.yaml")
	if err != nil {
		t.Fatal(err)
	}
	n := validate.MaxNodes - 1000 // the seed takes a few hundred; a flow item costs 2, a "k: 1" line 3
	var keys, nulls strings.Builder
	for i := range n / 3 {
		fmt.Fprintf(&keys, "k%d: 1\n", i)
	}
	nulls.WriteString("notes: {")
	for i := range n/2 - 1 {
		fmt.Fprintf(&nulls, "k%d, ", i)
	}
	nulls.WriteString("k}\n")
	for _, c := range []struct {
		name, extra string
		exit        int // 1: the migrated file would hold more nodes than validate reads (not written)
	}{
		{"flow list", "notes: [" + strings.Repeat("0, ", n/2) + "0]\n", 0},
		{"block list", "notes:\n" + strings.Repeat("- 0\n", n/2), 0},
		{"unknown keys", keys.String(), 0},
		{"flow null keys", nulls.String(), 1},
	} {
		name, extra := c.name, c.extra
		root := filepath.Join(t.TempDir(), "outputs")
		dir := filepath.Join(root, "run", "checkpoints")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "best.ckpt.metadata.yaml"), append(append([]byte(nil), seed...), extra...), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "migrate", "--dry-run", root)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		if cmd.ProcessState == nil {
			t.Fatalf("%s: %v", name, err)
		}
		if code := cmd.ProcessState.ExitCode(); code != c.exit {
			t.Errorf("%s: exit %d, want %d\n%s%s", name, code, c.exit, stdout.String(), stderr.String())
		}
		peak := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10
		t.Logf("%s (%d bytes): peak RSS %.1f MB", name, len(seed)+len(extra), float64(peak)/(1<<20))
		if peak >= 64<<20 {
			t.Errorf("%s: peak RSS %.1f MB, want under 64 MB", name, float64(peak)/(1<<20))
		}
	}
}
