package catalog

import (
	"context"
	encjson "encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ckptmeta/ckptmeta/internal/testenv"
	"github.com/ckptmeta/ckptmeta/schemas"
	"github.com/ckptmeta/ckptmeta/validate"
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
			RecordedPath: "/home/user/ocr/outputs/pan_resnet18_no_polygons_canonical/checkpoints/epoch-10_step-001133.ckpt", Source: SourceSidecar,
			Problem: "sidecar/legacy"}},
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
	bySidecar := map[string]Entry{}
	for _, e := range es {
		bySidecar[e.Sidecar] = e
		if e.Checkpoint != e4+"epoch-16_step-003000.ckpt" && !e.CheckpointPresent {
			t.Errorf("%s: checkpoint_present false, but it exists", e.Checkpoint)
		}
	}
	if e, ok := bySidecar[e4+"epoch-16_step-003000.ckpt.metadata.yaml"]; !ok || e.CheckpointPresent || e.Problem != "" || e.Hmean == nil {
		t.Errorf("orphan sidecar: %+v, want listed with its values, checkpoint absent, no problem", e)
	}
	for _, s := range []string{e4 + "epoch-18_step-003895.ckpt.metadata.yaml", e4 + "epoch-18_step-003895.metadata.yaml"} {
		if e := bySidecar[s]; e.Problem != "sidecar/conflict" {
			t.Errorf("conflict: %s has problem %q, want sidecar/conflict", s, e.Problem)
		}
	}
	if e := got[e4+"best-hmean-0.8920.ckpt"]; e.Source != SourceSidecar || e.SchemaVersion != "9.9" || e.Problem != "sidecar/unknown-version" {
		t.Errorf("unknown version: source %q version %q problem %q", e.Source, e.SchemaVersion, e.Problem)
	}
	if e := got[e3+"epoch-14_step-001500.ckpt"]; e.Source != SourceSidecar || e.Problem != "yaml/syntax" {
		t.Errorf("broken YAML: source %q problem %q", e.Source, e.Problem)
	}
	// An invalid value is not a value: hmean 1.5 is left unknown, and the problem says why.
	if e := got[e4+"epoch-19_step-004100.ckpt"]; e.Hmean != nil || e.Problem != "schema/maximum" || e.Precision == nil {
		t.Errorf("hmean 1.5: %+v", e)
	}
	if len(es) != 14 {
		t.Errorf("%d entries, want 14 (every sidecar but the superseded, and the checkpoint without one)", len(es))
	}
}

// A catalog from sidecars alone: a tree without checkpoints lists every sidecar, and an
// invalid one neither hides nor sorts first with an empty problem.
func TestListFromSidecarsAlone(t *testing.T) {
	root := buildTree(t)
	if err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Ext(p) == ".ckpt" {
			return os.Remove(p)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var sidecars []string
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			sidecars = append(sidecars, filepath.ToSlash(p))
		}
		return nil
	})
	es, err := List(context.Background(), []string{root}, ListOptions{Sort: "-hmean"})
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, e := range es {
		listed[e.Sidecar] = true
		if e.CheckpointPresent {
			t.Errorf("%s: checkpoint_present, but there are none", e.Sidecar)
		}
	}
	for _, s := range sidecars {
		if !listed[s] {
			t.Errorf("%s not listed", s)
		}
	}
	if len(es) != len(sidecars) {
		t.Errorf("%d entries for %d sidecars", len(es), len(sidecars))
	}
	// Every row whose sidecar has an error says so; no invalid value sorts first.
	v := validate.New(nil, validate.Options{NoStale: true})
	for _, e := range es {
		if r := v.ValidateFile(e.Sidecar); r.Status != validate.StatusValid && e.Problem == "" {
			t.Errorf("%s is %s but its row has no problem", e.Sidecar, r.Status)
		}
	}
	if len(es) == 0 || es[0].Hmean == nil || *es[0].Hmean > 1 {
		t.Errorf("--sort -hmean: first row %+v", es[0])
	}
	valid, err := List(context.Background(), []string{root}, ListOptions{ValidOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(valid) != 0 {
		t.Errorf("--valid-only without checkpoints: %d entries, want none", len(valid))
	}
}

func TestListValidOnly(t *testing.T) {
	root := buildTree(t)
	es, err := List(context.Background(), []string{root}, ListOptions{ValidOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if !e.CheckpointPresent || (e.Source == SourceSidecar && e.Problem != "" && e.Problem != "sidecar/legacy") {
			t.Errorf("--valid-only kept %+v", e)
		}
	}
	// current/outdated/stale/legacy rows of the tree, and the checkpoint without a sidecar.
	if len(es) != 8 {
		t.Errorf("%d entries, want 8", len(es))
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
	testenv.CopyFile(t, abs, "outputs/det_resnet50_v1/checkpoints/epoch=10-step=1133.ckpt")
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

// FuzzReadFields: reading the catalog fields of any document never panics, and a document
// of a known version always yields its schema version.
func FuzzReadFields(f *testing.F) {
	for _, src := range corpus(f) {
		f.Add(src)
	}
	reg := schemas.Default()
	f.Fuzz(func(t *testing.T, src []byte) {
		doc, findings := validate.Parse("fuzz.yaml", src)
		if doc == nil {
			return
		}
		e := readFields(doc, reg, errorsOf(findings))
		if _, isMap := doc.Value.(map[string]any); isMap && e.SchemaVersion == "" {
			if _, err := reg.Lookup(doc.Version); err == nil {
				t.Fatalf("known version %q without a schema version: %+v", doc.Version, e)
			}
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
