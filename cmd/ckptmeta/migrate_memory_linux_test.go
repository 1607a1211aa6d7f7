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
// Admitted by count only, all 64 were in flight at once: 1,684 MB; admitted by cost,
// 219 MB.
func TestMigrateMemoryIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("migrates 64 large sidecars; not in -short")
	}
	bin := filepath.Join(t.TempDir(), "ckptmeta")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	seed, err := os.ReadFile("../../migrate/testdata/golden/1.0_1.1/seed-comments.in.yaml")
	if err != nil {
		t.Fatal(err)
	}
	list := "notes: [" + strings.Repeat("0, ", validate.MaxNodes-200) + "0]\n"
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
