package ckpt

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckptmeta/ckptmeta/internal/testenv"
)

// TestTorchWeightsOnlyAgrees asks the real torch.load(weights_only=True):
// every fixture the policy says it refuses (an unknown or dangerous global)
// must be refused by torch, without the payload running; best.ckpt, which
// the policy says loads, must load (so the check can fail; Debian's torch
// 1.13 refuses any pickle with a BINFLOAT, so weights_only.ckpt cannot be
// the control there); and
// Python's own unpickler must resolve the qualified names of the
// qualified_*.ckpt fixtures to os.system.
func TestTorchWeightsOnlyAgrees(t *testing.T) {
	py := testenv.Python(t, "torch")
	files, err := filepath.Glob(fixture("*.ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	args := []string{filepath.Join(fixtures, "check_weights_only.py"), "--refuse"}
	refused := 0
	for _, f := range files {
		r, err := Open(f)
		if err != nil {
			continue // unreadable fixtures are tested elsewhere
		}
		if Summarize(r).WeightsOnly == WeightsOnlyRefused {
			args = append(args, f)
			refused++
		}
	}
	if refused < 14 { // the 8 gadgets, 3 qualified names, 2 os.system, lht_partial
		t.Fatalf("only %d fixtures judged refused", refused)
	}
	args = append(args, "--load", fixture("best.ckpt"),
		"--qualified", "posixpath:os.system", "tempfile:_os.system", "torch:os.system")
	out, err := exec.Command(py, args...).CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("%s: %v", filepath.Base(args[0]), err)
	}
	if n := strings.Count(string(out), "ok "); n != refused+4 {
		t.Errorf("%d checks passed, want %d", n, refused+4)
	}
}
