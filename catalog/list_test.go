package catalog

import (
	"context"
	encjson "encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ckptmeta/ckptmeta/schemas"
)

func f64(v float64) *float64      { return &v }
func num(s string) encjson.Number { return encjson.Number(s) }
func i64(v int64) *int64          { return &v }

func byCheckpoint(es []Entry) map[string]Entry {
	m := map[string]Entry{}
	for _, e := range es {
		m[e.Checkpoint] = e
	}
	return m
}

func TestListReadsEveryVersion(t *testing.T) {
	root := buildTree(t)
	es, err := List(context.Background(), []string{root}, ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := byCheckpoint(es)
	e1 := "outputs/ocr_training-dbnet-pan_decoder-mobilenetv3_small_050_33/checkpoints/"
	e3 := "outputs/pan_resnet18_no_polygons_canonical/checkpoints/"
	tests := []struct {
		name string
		ckpt string
		want Entry
	}{
		{name: "1.0 seed", ckpt: e1 + "best.ckpt", want: Entry{
			Experiment: "ocr_training-dbnet-pan_decoder-mobilenetv3_small_050_33", Sidecar: e1 + "best.ckpt.metadata.yaml",
			SchemaVersion: "1.0", Architecture: "ocrmodel", Encoder: "mobilenetv3_small_050", Epoch: i64(18), Step: i64(3895),
			Precision: f64(0.9508357048034668), Recall: f64(0.9549170732498169), Hmean: f64(0.9524165391921997),
			Created:      "2025-10-19T13:36:50.323967",
			RecordedPath: "ocr_training-dbnet-pan_decoder-mobilenetv3_small_050_33/checkpoints/best.ckpt", Source: SourceSidecar}},
		{name: "1.1 under the stem name", ckpt: e1 + "last.ckpt", want: Entry{
			Experiment: "ocr_training-dbnet-pan_decoder-mobilenetv3_small_050_33", Sidecar: e1 + "last.metadata.yaml",
			SchemaVersion: "1.1", Architecture: "dbnet", Encoder: "mobilenetv3_small_050", Epoch: i64(24), Step: i64(5125),
			Precision: f64(0.9412), Recall: f64(0.9377), Hmean: f64(0.9394), Created: "2025-10-19T13:40:02.114210",
			RecordedPath: "ocr_training-dbnet-pan_decoder-mobilenetv3_small_050_33/checkpoints/last.ckpt", Source: SourceSidecar}},
		{name: "2.0 at epoch 0", ckpt: e1 + "epoch-00_step-000205.ckpt", want: Entry{
			Experiment: "ocr_training-dbnet-pan_decoder-mobilenetv3_small_050_33", Sidecar: e1 + "epoch-00_step-000205.ckpt.metadata.yaml",
			SchemaVersion: "2.0", Architecture: "dbnet", Encoder: "mobilenetv3_small_050", Epoch: i64(0), Step: i64(205),
			Precision: f64(0.7012), Recall: f64(0.5431), Hmean: f64(0.6120), Created: "2025-10-18T02:41:07.551020",
			RecordedPath: "ocr_training-dbnet-pan_decoder-mobilenetv3_small_050_33/checkpoints/epoch-00_step-000205.ckpt", Source: SourceSidecar}},
		{name: "1.0 convert tool at epoch 0 keeps its own metrics", ckpt: "outputs/my_experiment/checkpoints/best.ckpt", want: Entry{
			Experiment: "my_experiment", Sidecar: "outputs/my_experiment/checkpoints/best.metadata.yaml",
			SchemaVersion: "1.0", Architecture: "dbnet", Encoder: "mobilenetv3_small_050", Epoch: i64(0), Step: i64(205),
			Precision: f64(0.8838383838383839), Recall: f64(0.7137404580152672), Hmean: f64(0.7730061349693251),
			Created: "2025-10-18T21:04:11", RecordedPath: "my_experiment/checkpoints/best.ckpt", Source: SourceSidecar}},
		{name: "V0 JSON: string encoder, flat logged metrics, experiment from the layout", ckpt: e3 + "epoch-10_step-001133.ckpt", want: Entry{
			Experiment: "pan_resnet18_no_polygons_canonical", Sidecar: e3 + "epoch-10_step-001133.metadata.json",
			SchemaVersion: "0", Architecture: "pan", Encoder: "resnet18", Epoch: i64(10), Step: i64(1133),
			Precision: f64(0.8623), Recall: f64(0.8011), Hmean: f64(0.8306), Created: "2025-10-11T00:44:42.118733",
			RecordedPath: "/home/user/ocr/outputs/pan_resnet18_no_polygons_canonical/checkpoints/epoch-10_step-001133.ckpt", Source: SourceSidecar}},
		{name: "missing sidecar", ckpt: e3 + "last_20251011_004442.ckpt", want: Entry{
			Experiment: "pan_resnet18_no_polygons_canonical", Source: SourceNone, Problem: "no sidecar"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, ok := got[tc.ckpt]
			if !ok {
				t.Fatalf("%s not listed", tc.ckpt)
			}
			tc.want.Checkpoint = tc.ckpt
			if d := diffEntry(e, tc.want); d != "" {
				t.Error(d)
			}
		})
	}
	e4 := "outputs/transforms_test-dbnetpp-dbnetpp_decoder-resnet18/checkpoints/"
	if _, ok := got[e4+"epoch-16_step-003000.ckpt"]; ok {
		t.Error("orphan sidecar listed")
	}
	if e := got[e4+"epoch-18_step-003895.ckpt"]; e.Sidecar != e4+"epoch-18_step-003895.ckpt.metadata.yaml" || e.Problem == "" {
		t.Errorf("conflict: read %q with problem %q, want the preferred name and a problem", e.Sidecar, e.Problem)
	}
	if e := got[e4+"best-hmean-0.8920.ckpt"]; e.Source != SourceNone || e.Problem == "" {
		t.Errorf("unknown version: source %q problem %q, want none with a problem", e.Source, e.Problem)
	}
	if e := got[e3+"epoch-14_step-001500.ckpt"]; e.Source != SourceNone || e.Problem == "" {
		t.Errorf("broken YAML: source %q problem %q, want none with a problem", e.Source, e.Problem)
	}
	if len(es) != 12 {
		t.Errorf("%d entries, want 12 (every checkpoint, no orphan)", len(es))
	}
}

func diffEntry(got, want Entry) string {
	s := func(p *float64) any {
		if p == nil {
			return nil
		}
		return *p
	}
	i := func(p *int64) any {
		if p == nil {
			return nil
		}
		return *p
	}
	type flat struct {
		Experiment, Checkpoint, Sidecar, SchemaVersion, Architecture, Encoder string
		Epoch, Step, Precision, Recall, Hmean                                 any
		Created, RecordedPath, Source, Problem                                string
	}
	fl := func(e Entry) flat {
		return flat{e.Experiment, e.Checkpoint, e.Sidecar, e.SchemaVersion, e.Architecture, e.Encoder,
			i(e.Epoch), i(e.Step), s(e.Precision), s(e.Recall), s(e.Hmean), e.Created, e.RecordedPath, e.Source, e.Problem}
	}
	if g, w := fl(got), fl(want); g != w {
		return "got  " + sprintf(g) + "\nwant " + sprintf(w)
	}
	return ""
}

func TestListFallback(t *testing.T) {
	root := buildTree(t)
	es, err := List(context.Background(), []string{root}, ListOptions{Fallback: true})
	if err != nil {
		t.Fatal(err)
	}
	got := byCheckpoint(es)
	e3 := "outputs/pan_resnet18_no_polygons_canonical/checkpoints/"
	// The fake checkpoints are not checkpoints: the fallback fails and says so.
	if e := got[e3+"last_20251011_004442.ckpt"]; e.Source != SourceNone || e.Problem == "no sidecar" {
		t.Errorf("fallback on a fake checkpoint: source %q problem %q", e.Source, e.Problem)
	}
	// A checkpoint with a usable sidecar is never opened.
	if e := got[e3+"epoch-10_step-001133.ckpt"]; e.Source != SourceSidecar {
		t.Errorf("source %q, want sidecar", e.Source)
	}
}

func TestListFallbackRealCheckpoint(t *testing.T) {
	// A real checkpoint from the shared testdata, in a tree of its own, without a sidecar.
	abs := repoTestdataAbs(t, "det_resnet50_v1/checkpoints/epoch=10-step=1133.ckpt")
	dir := t.TempDir()
	t.Chdir(dir)
	copyFile(t, abs, "outputs/det_resnet50_v1/checkpoints/epoch=10-step=1133.ckpt")
	es, err := List(context.Background(), []string{"outputs"}, ListOptions{Fallback: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 {
		t.Fatalf("%d entries, want 1", len(es))
	}
	e := es[0]
	if e.Source != SourceCheckpoint || e.SchemaVersion == "" || e.Sidecar != "" {
		t.Fatalf("fallback entry %+v: want source checkpoint with a schema version and no sidecar", e)
	}
	if e.Epoch == nil {
		t.Errorf("fallback entry has no epoch: %+v", e)
	}
	if isFile("outputs/det_resnet50_v1/checkpoints/epoch=10-step=1133.ckpt.metadata.yaml") {
		t.Error("the fallback wrote a sidecar")
	}
}

func TestListBadInput(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name   string
		o      ListOptions
		target error
	}{
		{name: "unknown filter field", o: ListOptions{Filters: []string{"speed>1"}}, target: ErrUnknownField},
		{name: "bad filter value", o: ListOptions{Filters: []string{"hmean>high"}}, target: ErrBadValue},
		{name: "bad operator", o: ListOptions{Filters: []string{"hmean=>0.9"}}, target: ErrBadOperator},
		{name: "unknown sort key", o: ListOptions{Sort: "-speed"}, target: ErrUnknownField},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := List(context.Background(), []string{dir}, tc.o)
			if !errors.Is(err, tc.target) {
				t.Fatalf("err = %v, want %v", err, tc.target)
			}
		})
	}
}

// FuzzFromSource: reading the catalog fields of any document never panics, and a usable
// document always yields its schema version.
func FuzzFromSource(f *testing.F) {
	for _, src := range corpus(f) {
		f.Add(src)
	}
	reg := schemas.Default()
	f.Fuzz(func(t *testing.T, src []byte) {
		e, why := fromSource("fuzz.yaml", src, reg)
		if why == "" && e.SchemaVersion == "" {
			t.Fatalf("usable document without a schema version: %+v", e)
		}
	})
}

// corpus reads every sidecar sample: this package's and the project's shared ones.
func corpus(t testing.TB) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, dir := range []string{filepath.Join(testdataAbs, "sidecars"), filepath.Join(testdataAbs, "..", "..", "..", "testdata", "sidecars")} {
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			if b, err := os.ReadFile(p); err == nil {
				out[p] = b
			}
			return nil
		})
	}
	if len(out) < 8 {
		t.Fatalf("sidecar corpus has %d files", len(out))
	}
	return out
}
