package generate

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ckptmeta/ckptmeta/internal/testenv"
	"github.com/ckptmeta/ckptmeta/schemas"
	"github.com/ckptmeta/ckptmeta/validate"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// fixedNow is the clock of every golden file.
func fixedNow() time.Time { return time.Date(2025, 10, 19, 13, 36, 50, 323967000, time.UTC) }

// fixedMTime is the mtime every copied sample file gets, so fingerprints are stable.
var fixedMTime = time.Date(2025, 10, 19, 12, 0, 0, 0, time.UTC)

// sampleTree copies ../testdata/outputs into a temp dir (git does not keep mtimes, and tests
// must not write into testdata) and returns the copy's outputs dir.
func sampleTree(t testing.TB) string {
	t.Helper()
	return copyTree(t, filepath.Join("..", "testdata", "outputs"))
}

// copyTree copies an outputs tree (without sidecars) into a temp dir with pinned mtimes and
// returns the copy's outputs dir.
func copyTree(t testing.TB, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "outputs")
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		out := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(out, 0o755)
		}
		if strings.Contains(d.Name(), ".metadata.") {
			return nil // sidecars the lead may add later are not inputs here
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.WriteFile(out, b, 0o644); err != nil {
			return err
		}
		return os.Chtimes(out, fixedMTime, fixedMTime)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func checkpoints(t testing.TB, root string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".ckpt") {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	if len(out) < 10 {
		t.Fatalf("sample tree has %d checkpoints; run testdata/make_outputs.py", len(out))
	}
	return out
}

// TestBuildGolden builds every sample checkpoint at every version and compares with
// testdata/golden/<version>/<checkpoint path>.metadata.yaml, and where each fact came from
// (and what was left out) with testdata/golden/sources.txt.
func TestBuildGolden(t *testing.T) {
	root := sampleTree(t)
	for _, version := range []string{"1.0", "1.1", "2.0"} {
		t.Run(version, func(t *testing.T) {
			var facts bytes.Buffer
			for _, c := range checkpoints(t, root) {
				rel, _ := filepath.Rel(root, c)
				rel = filepath.ToSlash(rel)
				sc, err := Build(c, Options{Version: version, Now: fixedNow, ToolVersion: "0.0.0-test"})
				if err != nil {
					t.Errorf("%s: %v", rel, err)
					continue
				}
				if sc.Version != version {
					t.Errorf("%s: version %s, want %s", rel, sc.Version, version)
				}
				if want := c + ".metadata.yaml"; sc.Path != want {
					t.Errorf("%s: path %s, want %s", rel, sc.Path, want)
				}
				golden(t, filepath.Join("testdata", "golden", version, filepath.FromSlash(rel)+".metadata.yaml"), sc.Data)
				if version != "1.0" {
					continue // facts do not depend on the version
				}
				facts.WriteString(rel + "\n")
				for _, k := range sortedSourceKeys(sc.Facts.Sources) {
					fmt.Fprintf(&facts, "  %s: %s\n", k, sc.Facts.Sources[k])
				}
				for _, w := range sc.Warnings {
					facts.WriteString("  warning: " + strings.ReplaceAll(w, root, "$ROOT") + "\n")
				}
			}
			if version == "1.0" {
				golden(t, filepath.Join("testdata", "golden", "sources.txt"), facts.Bytes())
			}
		})
	}
}

func sortedSourceKeys(m map[string]Source) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// writeSidecars builds 1.0 sidecars for the sample tree and writes them beside the checkpoints.
func writeSidecars(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	for _, c := range checkpoints(t, root) {
		sc, err := Build(c, Options{Version: "1.0", Now: fixedNow})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(sc.Path, sc.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, sc.Path)
	}
	return files
}

// TestStrictModel loads every generated 1.0 sidecar with PyYAML safe_load and the strict
// CheckpointMetadataV1 model, and proves the model rejects what the original rejected.
func TestStrictModel(t *testing.T) {
	py := testenv.Python(t, "yaml", "pydantic")
	root := sampleTree(t)
	files := writeSidecars(t, root)
	args := append([]string{filepath.Join("testdata", "strict_model.py")}, files...)
	args = append(args, filepath.Join("testdata", "strict", "valid_seed_sample.yaml"))
	if out, err := exec.Command(py, args...).CombinedOutput(); err != nil {
		t.Errorf("generated sidecars rejected by the strict model: %v\n%s", err, out)
	}
	invalid, _ := filepath.Glob(filepath.Join("testdata", "strict", "invalid_*.yaml"))
	if len(invalid) == 0 {
		t.Fatal("no invalid samples")
	}
	// What the strict model rejects, the validator rejects too (pretrained: null passed it
	// while the schemas allowed null for defaulted keys).
	v := validate.New(schemas.Default(), validate.Options{NoStale: true})
	for _, f := range invalid {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if res := v.ValidateBytes(f, b); res.Status == validate.StatusValid {
			t.Errorf("validate accepts %s, which the strict model rejects", f)
		}
	}
	args = append([]string{filepath.Join("testdata", "strict_model.py"), "--expect-invalid"}, invalid...)
	if out, err := exec.Command(py, args...).CombinedOutput(); err != nil {
		t.Errorf("the strict model accepted an invalid sample: %v\n%s", err, out)
	}
}

// TestPythonModels loads every 1.0 sidecar ckptmeta writes, as it lands in the goldens
// (generate at 1.0, migrate to 1.0) and freshly generated, plus the 1.0 sidecars of the
// shared testdata, with PyYAML safe_load and both Python models: the strict Oct-2025
// CheckpointMetadataV1 (strict_model.py) and the lax Jan-2026 one (lax_model.py), which
// requires every key. Files that omit keys on purpose (another writer's output, and an
// exact down-migration of such a file) must load under the strict model and be rejected
// by the lax one, which also proves the lax model can fail.
func TestPythonModels(t *testing.T) {
	py := testenv.Python(t, "yaml", "pydantic")
	root := sampleTree(t)
	both := writeSidecars(t, root)
	for _, g := range []string{
		"testdata/golden/1.0/*/checkpoints/*.yaml",
		"testdata/golden/1.0/*/checkpoints/*/checkpoints/*.yaml",
		"testdata/golden/1.0/experiments/*/*/*/*/checkpoints/*.yaml",
		"../migrate/testdata/golden/*_1.0/*.want.yaml",
		"../testdata/sidecars/valid/*.yaml",
		"testdata/strict/valid_*.yaml",
	} {
		m, _ := filepath.Glob(g)
		if len(m) == 0 {
			t.Fatalf("%s matches nothing", g)
		}
		both = append(both, m...)
	}
	// Omit keys by design: the convert tool's exclude_none output, and its exact
	// down-migration (a migration never invents a key the source did not have).
	laxRejects := map[string]bool{
		"../testdata/sidecars/valid/convert-omits-nulls.metadata.yaml": true,
		"../migrate/testdata/golden/1.1_1.0/provenance-only.want.yaml": true,
	}
	var lax, strictOnly []string
	for _, f := range both {
		if laxRejects[f] {
			strictOnly = append(strictOnly, f)
		} else {
			lax = append(lax, f)
		}
	}
	if len(strictOnly) != len(laxRejects) {
		t.Fatalf("expected lax rejections %v, found only %v", laxRejects, strictOnly)
	}
	if goldens, _ := filepath.Glob("testdata/golden/1.0/*/checkpoints/*.yaml"); len(goldens) < 5 {
		t.Fatalf("only %d generate goldens", len(goldens))
	}
	run := func(model string, expectInvalid bool, files []string) {
		args := []string{filepath.Join("testdata", model)}
		if expectInvalid {
			args = append(args, "--expect-invalid")
		}
		out, err := exec.Command(py, append(args, files...)...).CombinedOutput()
		if err != nil {
			t.Errorf("%s (expect invalid: %v): %v\n%s", model, expectInvalid, err, out)
		}
		if n := bytes.Count(out, []byte("\n")); n != len(files) {
			t.Errorf("%s answered for %d of %d files:\n%s", model, n, len(files), out)
		}
	}
	run("strict_model.py", false, both)
	run("lax_model.py", false, lax)
	run("lax_model.py", true, strictOnly)
}

// TestSidecarsMatchSources compares every generated 1.0 sidecar with its checkpoint read by
// Python's pickle and its Hydra config read by OmegaConf (an independent implementation).
func TestSidecarsMatchSources(t *testing.T) {
	py := testenv.Python(t, "yaml", "pydantic", "omegaconf", "numpy")
	root := sampleTree(t)
	files := writeSidecars(t, root)
	// A tampered copy proves the check can fail: it must be the only file with errors.
	best := filepath.Join(root, "ocr_training-dbnet-pan_decoder-mobilenetv3_small_050_33", "checkpoints", "best.ckpt.metadata.yaml")
	b, err := os.ReadFile(best)
	if err != nil {
		t.Fatal(err)
	}
	tampered := filepath.Join(root, "tampered.yaml")
	b = bytes.Replace(b, []byte("  epoch: 18\n"), []byte("  epoch: 17\n"), 1)
	b = bytes.Replace(b, []byte("val/hmean: 0.9524999856948853"), []byte("val/hmean: 0.95"), 1)
	if err := os.WriteFile(tampered, b, 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{filepath.Join("testdata", "check_sidecars.py"), root}, append(files, tampered)...)
	out, err := exec.Command(py, args...).CombinedOutput()
	if err == nil {
		t.Errorf("the tampered sidecar passed:\n%s", out)
	}
	var results []struct {
		File   string   `json:"file"`
		Errors []string `json:"errors"`
	}
	for _, line := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
		var r struct {
			File   string   `json:"file"`
			Errors []string `json:"errors"`
		}
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		results = append(results, r)
	}
	if len(results) != len(files)+1 {
		t.Fatalf("%d results for %d files:\n%s", len(results), len(files)+1, out)
	}
	for _, r := range results {
		if r.File == tampered {
			got := strings.Join(r.Errors, "\n")
			if !strings.Contains(got, "training.epoch: sidecar 17, source 18") || !strings.Contains(got, "metrics.additional_metrics") {
				t.Errorf("tampering not caught precisely: %q", r.Errors)
			}
		} else if len(r.Errors) > 0 {
			t.Errorf("%s disagrees with its sources: %q", r.File, r.Errors)
		}
	}
}
