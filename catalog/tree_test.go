package catalog

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ckptmeta/ckptmeta/internal/testenv"
)

// repoTestdata is the shared tree of real (tiny, tensor-free) Lightning checkpoints.
const repoTestdata = "../testdata/outputs"

// fakeCkpt is what most checkpoints in the test trees hold: Status and List must not open them.
const fakeCkpt = "not a checkpoint: status and list never read it\n"

func readTestdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testdataDir(t), "sidecars", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// testdataAbs is absolute, so it still works after t.Chdir.
var testdataAbs = func() string {
	d, err := filepath.Abs("testdata")
	if err != nil {
		panic(err)
	}
	return d
}()

func testdataDir(testing.TB) string { return testdataAbs }

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// pickleSHA256 hashes a zip checkpoint's data.pkl record, as a fingerprint does.
func pickleSHA256(t testing.TB, ckpt string) string {
	t.Helper()
	z, err := zip.OpenReader(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	for _, f := range z.File {
		if strings.HasSuffix(f.Name, "/data.pkl") {
			r, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			h := sha256.New()
			if _, err := io.Copy(h, r); err != nil {
				t.Fatal(err)
			}
			r.Close()
			return hex.EncodeToString(h.Sum(nil))
		}
	}
	t.Fatalf("%s has no data.pkl", ckpt)
	return ""
}

// withFingerprint puts a checkpoint.fingerprint into the 2.0 sample.
func withFingerprint(t testing.TB, size int64, mtime, sha string) string {
	doc := readTestdata(t, "v2.0.yaml")
	fp := "  lightning_version: 2.1.2\n  fingerprint:\n    size: " + strconv.FormatInt(size, 10) +
		"\n    mtime: '" + mtime + "'\n    data_pkl_sha256: " + sha + "\n"
	out := strings.Replace(doc, "  lightning_version: 2.1.2\n", fp, 1)
	if out == doc {
		t.Fatal("v2.0.yaml changed shape: no checkpoint.lightning_version line")
	}
	out = strings.ReplaceAll(out, "ocr_training-dbnet-pan_decoder-mobilenetv3_small_050_33", "dbnet_pan_resnet34")
	return strings.ReplaceAll(out, "mobilenetv3_small_050", "resnet34")
}

// buildTree makes the realistic outputs tree every golden test reads, in a fresh directory
// that becomes the working directory, and returns the root to scan ("outputs").
//
//	outputs/ocr_training-…_33/checkpoints: best (1.0 seed, outdated), last (1.1 via stem name, outdated),
//	    epoch-00_step-000205 (2.0, epoch 0, current)
//	outputs/my_experiment/checkpoints: best (1.0 convert tool, epoch 0, outdated)
//	outputs/pan_resnet18_no_polygons_canonical/checkpoints: epoch-10 (V0 JSON, legacy),
//	    last_20251011_004442 (missing), epoch-14 (broken YAML, invalid)
//	outputs/transforms_test-…-resnet18/checkpoints: epoch-18 (two YAML sidecars, conflict),
//	    epoch-16 sidecar only (orphan), epoch-19 (hmean 1.5, invalid), best-hmean-0.8920 (9.9, invalid)
//	outputs/dbnet_pan_resnet34/checkpoints: real checkpoints; epoch_28 (fingerprint of another file,
//	    stale), last (matching fingerprint, current)
func buildTree(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	src := func(p string) string { // absolute before the chdir
		a, err := filepath.Abs(filepath.Join(repoTestdata, p))
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	realCkpt := src("det_resnet50_v1/checkpoints/last.ckpt")
	td := testdataDir(t)
	if tt, ok := t.(*testing.T); ok {
		tt.Chdir(dir)
	} else if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	rd := func(name string) string {
		b, err := os.ReadFile(filepath.Join(td, "sidecars", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	e1 := "outputs/ocr_training-dbnet-pan_decoder-mobilenetv3_small_050_33/checkpoints/"
	writeFile(t, e1+"best.ckpt", fakeCkpt)
	writeFile(t, e1+"best.ckpt.metadata.yaml", rd("v1.0-seed.yaml"))
	writeFile(t, e1+"last.ckpt", fakeCkpt)
	writeFile(t, e1+"last.metadata.yaml", rd("v1.1.yaml"))
	writeFile(t, e1+"epoch-00_step-000205.ckpt", fakeCkpt)
	writeFile(t, e1+"epoch-00_step-000205.ckpt.metadata.yaml", rd("v2.0.yaml"))

	e2 := "outputs/my_experiment/checkpoints/"
	writeFile(t, e2+"best.ckpt", fakeCkpt)
	writeFile(t, e2+"best.metadata.yaml", rd("v1.0-convert-epoch0.yaml"))

	e3 := "outputs/pan_resnet18_no_polygons_canonical/checkpoints/"
	writeFile(t, e3+"epoch-10_step-001133.ckpt", fakeCkpt)
	writeFile(t, e3+"epoch-10_step-001133.metadata.json", rd("v0-legacy.json"))
	writeFile(t, e3+"last_20251011_004442.ckpt", fakeCkpt)
	writeFile(t, e3+"epoch-14_step-001500.ckpt", fakeCkpt)
	writeFile(t, e3+"epoch-14_step-001500.ckpt.metadata.yaml", rd("broken.yaml"))

	e4 := "outputs/transforms_test-dbnetpp-dbnetpp_decoder-resnet18/checkpoints/"
	writeFile(t, e4+"epoch-18_step-003895.ckpt", fakeCkpt)
	writeFile(t, e4+"epoch-18_step-003895.ckpt.metadata.yaml", recordAt(t, rd("v1.0-seed.yaml"), e4+"epoch-18_step-003895.ckpt"))
	writeFile(t, e4+"epoch-18_step-003895.metadata.yaml", recordAt(t, rd("v2.0.yaml"), e4+"epoch-18_step-003895.ckpt"))
	writeFile(t, e4+"epoch-16_step-003000.ckpt.metadata.yaml", rd("v1.1.yaml"))
	writeFile(t, e4+"epoch-19_step-004100.ckpt", fakeCkpt)
	writeFile(t, e4+"epoch-19_step-004100.ckpt.metadata.yaml", rd("v1.0-bad-hmean.yaml"))
	writeFile(t, e4+"best-hmean-0.8920.ckpt", fakeCkpt)
	writeFile(t, e4+"best-hmean-0.8920.ckpt.metadata.yaml", rd("v9.9-future.yaml"))

	e5 := "outputs/dbnet_pan_resnet34/checkpoints/"
	fi, err := os.Stat(realCkpt)
	if err != nil {
		t.Fatal(err)
	}
	sha := pickleSHA256(t, realCkpt)
	mtime := time.Date(2025, 10, 20, 8, 0, 0, 0, time.UTC)
	for _, name := range []string{"epoch_28_step_023722.ckpt", "last.ckpt"} {
		testenv.CopyFile(t, realCkpt, e5+name)
		if err := os.Chtimes(e5+name, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	// Stale: the fingerprint of a bigger, different pickle.
	writeFile(t, e5+"epoch_28_step_023722.ckpt.metadata.yaml", recordAt(t,
		withFingerprint(t, fi.Size()+4096, "2025-10-19T07:00:00Z", strings.Repeat("ab", 32)), e5+"epoch_28_step_023722.ckpt"))
	writeFile(t, e5+"last.ckpt.metadata.yaml", recordAt(t, withFingerprint(t, fi.Size(), mtime.Format(time.RFC3339), sha), e5+"last.ckpt"))
	return "outputs"
}

// recordedPath matches the recorded checkpoint path of a 1.x (checkpoint_path), 2.0
// (checkpoint.path) or JSON sample.
var recordedPath = regexp.MustCompile(`(?m)^(checkpoint_path: |  path: |\s*"checkpoint_path": ")[^"\n]*`)

// recordAt makes a sample record ckpt (a path under outputs/) as its checkpoint, so it can sit
// beside that checkpoint without being sidecar/misplaced.
func recordAt(t testing.TB, doc, ckpt string) string {
	t.Helper()
	if !recordedPath.MatchString(doc) {
		t.Fatal("sample records no checkpoint path")
	}
	rel := strings.TrimPrefix(ckpt, "outputs/")
	return recordedPath.ReplaceAllString(doc, "${1}"+rel)
}

func repoTestdataAbs(t testing.TB, p string) string {
	t.Helper()
	a, err := filepath.Abs(filepath.Join(repoTestdata, p))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func sprintf(v any) string { return fmt.Sprintf("%+v", v) }

func errorsAs(err error, target any) bool { return errors.As(err, target) }
func errorsIs(err, target error) bool     { return errors.Is(err, target) }
