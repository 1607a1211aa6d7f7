package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// copyRun copies testdata/outputs/det_resnet50_v1 (real checkpoints) to a temp outputs tree.
func copyRun(t *testing.T) (outputs, ck string) {
	t.Helper()
	outputs = filepath.Join(t.TempDir(), "outputs")
	ck = filepath.Join(outputs, "det_resnet50_v1", "checkpoints")
	if err := os.MkdirAll(ck, 0o755); err != nil {
		t.Fatal(err)
	}
	src := "../../testdata/outputs/det_resnet50_v1/checkpoints"
	es, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(ck, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return outputs, ck
}

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errw bytes.Buffer
	code = run(args, &out, &errw)
	return code, out.String(), errw.String()
}

func dotFiles(t *testing.T, dir string) []string {
	t.Helper()
	es, _ := os.ReadDir(dir)
	var out []string
	for _, e := range es {
		if strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	return out
}

// TestMigrateLinkOutsideExit1: a sidecar linking out of the paths given is not written
// through; the file fails and the run exits 1.
func TestMigrateLinkOutsideExit1(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs symlinks (Unix)")
	}
	outputs, ck := copyRun(t)
	passwd := filepath.Join(t.TempDir(), "passwd")
	const content = "root:x:0:0:root:/root:/bin/bash\n"
	if err := os.WriteFile(passwd, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(passwd, filepath.Join(ck, "last.ckpt.metadata.yaml")); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "migrate", outputs)
	if code != exitFindings {
		t.Fatalf("exit %d, want 1\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout+stderr, "last.ckpt.metadata.yaml") || !strings.Contains(stdout+stderr, "outside the paths given") {
		t.Errorf("the failure should name the file and say why:\n%s%s", stdout, stderr)
	}
	if b, _ := os.ReadFile(passwd); string(b) != content {
		t.Errorf("the file outside was overwritten:\n%s", b)
	}
	if es, _ := os.ReadDir(filepath.Dir(passwd)); len(es) != 1 {
		t.Errorf("written beside the file outside: %v", es)
	}
}

// TestOutputAtomic: --output replaces FILE whole (temp + rename), follows a symlink at FILE,
// leaves no temp file, and an unwritable FILE is exit 2 for every command that takes it.
func TestOutputAtomic(t *testing.T) {
	outputs, _ := copyRun(t)
	dir := t.TempDir()
	prom := filepath.Join(dir, "ckptmeta.prom")
	if err := os.WriteFile(prom, []byte("# the previous scrape\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var ino uint64
	if runtime.GOOS != "windows" {
		ino = inode(t, prom)
	}
	code, stdout, stderr := runCLI(t, "status", "-o", "prometheus", "--output", prom, outputs)
	if code != exitOK {
		t.Fatalf("status exit %d\n%s%s", code, stdout, stderr)
	}
	b, _ := os.ReadFile(prom)
	if !strings.Contains(string(b), "# TYPE ckptmeta_coverage_ratio gauge") || strings.Contains(string(b), "previous scrape") {
		t.Errorf("report file:\n%s", b)
	}
	if runtime.GOOS != "windows" && inode(t, prom) == ino {
		t.Error("the report was written in place, not renamed over the old file")
	}
	if d := dotFiles(t, dir); len(d) != 0 {
		t.Errorf("temp files left: %v", d)
	}

	sarif := filepath.Join(dir, "report.sarif")
	if runtime.GOOS != "windows" {
		// A symlinked FILE: the link stays, the file it names gets the report.
		real := filepath.Join(dir, "real.sarif")
		if err := os.WriteFile(real, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("real.sarif", sarif); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if b, _ := os.ReadFile(real); !bytes.Contains(b, []byte(`"version": "2.1.0"`)) {
				t.Errorf("the link's file did not get the report")
			}
		}()
	}
	code, stdout, stderr = runCLI(t, "validate", "-o", "sarif", "--output", sarif, outputs)
	if code != exitOK && code != exitFindings {
		t.Fatalf("validate exit %d\n%s%s", code, stdout, stderr)
	}
	if b, _ := os.ReadFile(sarif); !bytes.Contains(b, []byte(`"version": "2.1.0"`)) {
		t.Errorf("sarif report:\n%s", b)
	}
	if li, err := os.Lstat(sarif); err == nil && runtime.GOOS != "windows" && li.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the symlinked --output was replaced by a file")
	}

	for _, args := range [][]string{
		{"validate", "-o", "sarif", "--output", filepath.Join(dir, "nodir", "r.sarif"), outputs},
		{"status", "-o", "prometheus", "--output", filepath.Join(dir, "nodir", "r.prom"), outputs},
		{"status", "--output", dir, outputs}, // a directory
	} {
		code, stdout, stderr := runCLI(t, args...)
		if code != exitUsage || !strings.Contains(stderr, "--output: ") {
			t.Errorf("%v: exit %d, want 2 with an --output error\n%s%s", args, code, stdout, stderr)
		}
	}
}
