package generate

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ckptmeta/ckptmeta/internal/fsutil"
	"github.com/ckptmeta/ckptmeta/internal/sidecar"
)

// TestRunRemovesStaleTemps: a killed generate leaves its temp file ("." + sidecar name +
// digits) beside the checkpoint; the next run that writes removes it, as migrate does, and
// leaves other dot files alone. A dry run removes nothing.
func TestRunRemovesStaleTemps(t *testing.T) {
	root := sampleTree(t)
	dir := filepath.Join(root, "det_resnet50_v1", "checkpoints")
	leftover := filepath.Join(dir, ".last.ckpt.metadata.yaml3141592653")
	mine := filepath.Join(dir, ".notes.txt123")
	for _, p := range []string{leftover, mine} {
		if err := os.WriteFile(p, []byte("half a sidecar"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if !sidecar.IsTemp(filepath.Base(leftover)) {
		t.Fatal("the planted leftover is not shaped like the writer's temp files")
	}
	o := runOpts()
	o.DryRun = true
	collect(t, []string{root}, o)
	if _, err := os.Stat(leftover); err != nil {
		t.Fatalf("a dry run removed a temp file: %v", err)
	}
	_, sum := collect(t, []string{root}, runOpts())
	if sum.Written == 0 {
		t.Fatalf("nothing written: %+v", sum)
	}
	if _, err := os.Stat(leftover); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the killed run's temp file is still there: %v", err)
	}
	if _, err := os.Stat(mine); err != nil {
		t.Errorf("a file that is not a sidecar temp was removed: %v", err)
	}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && sidecar.IsTemp(d.Name()) {
			t.Errorf("temp file left: %s", p)
		}
		return nil
	})
}

// TestRunForceSymlinkOutside: --force never rebuilds a sidecar through a symlink that leads
// out of the paths given; it is a failure naming where the link leads.
func TestRunForceSymlinkOutside(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs symlinks (Unix)")
	}
	root := sampleTree(t)
	dir := filepath.Join(root, "det_resnet50_v1", "checkpoints")
	outside := filepath.Join(t.TempDir(), "passwd")
	const content = "root:x:0:0:root:/root:/bin/bash\n"
	if err := os.WriteFile(outside, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "last.ckpt.metadata.yaml")
	if err := os.Symlink(outside, link); err != nil {
		t.Fatal(err)
	}
	o := runOpts()
	o.Force = true
	got, sum := collect(t, []string{dir}, o)
	var r *Result
	for _, g := range got {
		if g.Checkpoint == filepath.Join(dir, "last.ckpt") {
			r = g
		}
	}
	if r == nil || r.Status != Failed || !errors.Is(r.Err, fsutil.ErrOutsideRoots) || !strings.Contains(r.Reason, outside) {
		t.Fatalf("result %+v", r)
	}
	if sum.Failed != 1 {
		t.Errorf("summary %+v", sum)
	}
	if b, _ := os.ReadFile(outside); string(b) != content {
		t.Errorf("the file outside was overwritten")
	}
	if es, _ := os.ReadDir(filepath.Dir(outside)); len(es) != 1 {
		t.Errorf("written beside the file outside: %v", es)
	}
}
