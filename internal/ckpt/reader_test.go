package ckpt

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ckptmeta/ckptmeta/internal/testenv"
)

const fixtures = "../../testdata/ckpt"

func fixture(name string) string { return filepath.Join(fixtures, name) }

// lookup is one expected value: the result of Lookup(Path...), or for a
// *Tensor its resolved Value.
type lookup struct {
	Path []string
	Want any
}

func TestOpenFixtures(t *testing.T) {
	nan := math.NaN()
	mc := "ModelCheckpoint{'monitor': 'val/hmean', 'mode': 'max', 'every_n_train_steps': 0, 'every_n_epochs': 1, 'train_time_interval': None}"
	umc := "UniqueModelCheckpoint{'monitor': 'val/hmean', 'mode': 'max', 'every_n_train_steps': 0, 'every_n_epochs': 1, 'train_time_interval': None, 'save_on_train_epoch_end': False}"
	tests := []struct {
		Name        string
		Format      Format
		ArchiveRoot string
		Lookups     []lookup
		Dangerous   []string
		Err         error  // errors.Is target, nil for success
		Kind        string // UnsupportedError.Kind, if any
	}{
		{
			Name: "lightning2.ckpt", Format: FormatZip, ArchiveRoot: "archive",
			Lookups: []lookup{
				{[]string{"epoch"}, int64(7)},
				{[]string{"global_step"}, int64(800)},
				{[]string{"pytorch-lightning_version"}, "2.1.3"},
				{[]string{"callbacks", mc, "monitor"}, "val/hmean"},
				{[]string{"callbacks", mc, "best_model_score"}, 0.8125},
				{[]string{"callbacks", mc, "kth_value"}, math.Inf(-1)},
				{[]string{"callbacks", "EarlyStopping{'monitor': 'val/loss', 'mode': 'min'}", "best_score"}, 0.25},
				{[]string{"cleval_metrics", "precision"}, 0.875},
				{[]string{"cleval_metrics", "recall"}, 0.75},
				{[]string{"cleval_metrics", "hmean"}, 0.8076923076923077},
				{[]string{"val_metrics", "val/loss"}, 0.25},       // numpy float64
				{[]string{"val_metrics", "val/hmean"}, 0.8125},    // numpy float32
				{[]string{"val_metrics", "val/count"}, int64(42)}, // numpy int64
				{[]string{"val_metrics", "val/step_hmean"}, 0.5},  // float16 tensor
				{[]string{"precision", "scale"}, 65536.0},
				{[]string{"precision", "growth"}, int64(2)},
				{[]string{"precision", "finite"}, true},
				{[]string{"precision", "bf"}, 1.5},
				{[]string{"hyper_parameters", "model", "encoder"}, "resnet18"}, // OmegaConf DictConfig
				{[]string{"hyper_parameters", "lr"}, 0.001},
				{[]string{"hyper_parameters", "tags", "1"}, "det"}, // ListConfig
				{[]string{"hyper_parameters", "max_epochs"}, "???"},
				{[]string{"hyper_parameters", "warmup_lr"}, "${lr}"},
				{[]string{"lr_schedulers", "0", "last_epoch"}, int64(7)},
			},
		},
		{
			Name: "unique_callback.ckpt", Format: FormatZip, ArchiveRoot: "archive",
			Lookups: []lookup{
				{[]string{"epoch"}, int64(12)},
				{[]string{"global_step"}, int64(3900)},
				{[]string{"callbacks", umc, "best_model_score"}, nan},
				{[]string{"callbacks", umc, "current_score"}, math.Inf(1)},
				{[]string{"hyper_parameters", "encoder"}, "resnet50"}, // AttributeDict
				{[]string{"hyper_parameters", "schedule", "1"}, int64(20)},
				{[]string{"cleval_metrics", "hmean"}, 0.8470588235294118},
			},
		},
		{
			Name: "legacy.ckpt", Format: FormatLegacy,
			Lookups: []lookup{
				{[]string{"epoch"}, int64(3)},
				{[]string{"global_step"}, int64(120)},
				{[]string{"pytorch-lightning_version"}, "1.2.10"},
				{[]string{"callbacks", "lightning.pytorch.callbacks.model_checkpoint.ModelCheckpoint", "monitor"}, "val_loss"},
				{[]string{"callbacks", "lightning.pytorch.callbacks.model_checkpoint.ModelCheckpoint", "best_model_score"}, 0.6875},
				{[]string{"callbacks", "lightning.pytorch.callbacks.early_stopping.EarlyStopping", "patience"}, int64(5)},
				{[]string{"hyper_parameters", "lr"}, 0.01}, // argparse.Namespace
				{[]string{"hyper_parameters", "data_dir"}, "/data/icdar"},
				{[]string{"val_hmean"}, float64(float32(0.71))},
			},
		},
		{
			Name: "weights_only.ckpt", Format: FormatZip, ArchiveRoot: "archive",
			Lookups: []lookup{
				{[]string{"epoch"}, int64(2)},
				{[]string{"global_step"}, int64(50)},
				{[]string{"hyper_parameters", "encoder"}, "mobilenet_v3"},
			},
		},
		{
			Name: "protocol4.ckpt", Format: FormatZip, ArchiveRoot: "archive",
			Lookups: []lookup{
				{[]string{"epoch"}, int64(5)},
				{[]string{"global_step"}, int64(500)},
				{[]string{"callbacks", mc, "best_model_score"}, 0.625},
				{[]string{"hyper_parameters", "data_dirs", "0"}, "/data/a"},
				{[]string{"hyper_parameters", "classes"}, []any{"background", "text"}}, // a set, sorted
				{[]string{"hyper_parameters", "raw"}, []byte{0, 1}},
			},
		},
		{
			Name: "best.ckpt", Format: FormatZip, ArchiveRoot: "best",
			Lookups: []lookup{
				{[]string{"epoch"}, int64(1)},
				{[]string{"callbacks", mc, "best_model_score"}, 0.5},
			},
		},
		{
			Name: "hostile_reduce.ckpt", Format: FormatZip, ArchiveRoot: "archive", Dangerous: []string{"posix.system"},
			Lookups: []lookup{{[]string{"epoch"}, int64(1)}},
		},
		{Name: "hostile_cycle.ckpt", Format: FormatZip, ArchiveRoot: "archive", Lookups: []lookup{{[]string{"0"}, nil}}},
		{Name: "empty.ckpt", Err: ErrTruncated},
		{Name: "truncated.ckpt", Err: ErrTruncated},
		{Name: "not_a_checkpoint.ckpt", Err: ErrFormat},
		{Name: "magic_bypass.ckpt", Err: ErrFormat},
		{Name: "hostile_binbytes8.ckpt", Err: ErrFormat},
		{Name: "hostile_binunicode8.ckpt", Err: ErrFormat},
		{Name: "hostile_setitems.ckpt", Err: ErrFormat},
		{Name: "hostile_expansion.ckpt", Err: ErrLimit},
		{Name: "zipbomb.ckpt", Err: ErrLimit},
		{Name: "torchscript.ckpt", Err: ErrUnsupported, Kind: "torchscript"},
		{Name: "tar_era.ckpt", Err: ErrUnsupported, Kind: "tar"},
		{Name: "sharded.ckpt", Err: ErrUnsupported, Kind: "sharded"},
	}
	for _, tt := range tests {
		t.Run(tt.Name, func(t *testing.T) {
			path := fixture(tt.Name)
			r, err := Open(path)
			if tt.Err != nil {
				if !errors.Is(err, tt.Err) {
					t.Fatalf("Open error = %v, want errors.Is %v", err, tt.Err)
				}
				if r != nil {
					t.Errorf("Open returned a reader with error %v", err)
				}
				if !strings.Contains(err.Error(), path) {
					t.Errorf("error %q does not name the file", err)
				}
				var ue *UnsupportedError
				if errors.As(err, &ue) != (tt.Kind != "") || tt.Kind != "" && ue.Kind != tt.Kind {
					t.Errorf("error %v: want UnsupportedError kind %q", err, tt.Kind)
				}
				var fe *FormatError
				if tt.Kind == "" && !errors.As(err, &fe) {
					t.Errorf("error %v is not a *FormatError", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if r.Format != tt.Format || r.ArchiveRoot != tt.ArchiveRoot || r.Name != path {
				t.Errorf("Format, ArchiveRoot, Name = %v, %q, %q; want %v, %q, %q", r.Format, r.ArchiveRoot, r.Name, tt.Format, tt.ArchiveRoot, path)
			}
			for _, l := range tt.Lookups {
				got, ok := r.Lookup(l.Path...)
				if !ok {
					t.Errorf("Lookup(%q) not found", l.Path)
					continue
				}
				if tn, isT := got.(*Tensor); isT {
					got = tn.Value
				}
				if !sameValue(got, l.Want) {
					t.Errorf("Lookup(%q) = %#v, want %#v", l.Path, got, l.Want)
				}
			}
			var dangerous []string
			for _, g := range r.Dangerous {
				dangerous = append(dangerous, g.String())
			}
			if !reflect.DeepEqual(dangerous, tt.Dangerous) {
				t.Errorf("Dangerous = %q, want %q", dangerous, tt.Dangerous)
			}
			if r.PickleSize <= 0 || len(r.PickleSHA256) != 64 || r.BytesRead <= 0 {
				t.Errorf("PickleSize %d, PickleSHA256 %q, BytesRead %d", r.PickleSize, r.PickleSHA256, r.BytesRead)
			}
			for i := 1; i < len(r.Globals); i++ {
				a, b := r.Globals[i-1], r.Globals[i]
				if a.Module > b.Module || a.Module == b.Module && a.Name >= b.Name {
					t.Errorf("Globals not sorted and unique at %d: %v, %v", i, a, b)
				}
			}
		})
	}
}

func sameValue(got, want any) bool {
	if w, ok := want.(float64); ok && math.IsNaN(w) {
		g, ok := got.(float64)
		return ok && math.IsNaN(g)
	}
	return reflect.DeepEqual(got, want)
}

// The hostile_reduce fixture pickles os.system("touch <marker>"). Reading it
// must report the global and must not create the marker.
func TestHostileReduceNeverRuns(t *testing.T) {
	const marker = "/tmp/ckptmeta-ckpt-fixture-pwned"
	if err := os.Remove(marker); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	r, err := Open(fixture("hostile_reduce.ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Global{{Module: "posix", Name: "system"}}
	if !reflect.DeepEqual(r.Dangerous, want) {
		t.Errorf("Dangerous = %v, want %v", r.Dangerous, want)
	}
	p, _ := r.Lookup("payload")
	obj, ok := p.(*Object)
	if !ok || obj.Class != want[0] || len(obj.Args) != 1 || obj.Args[0] != "touch "+marker {
		t.Errorf("payload = %#v, want an inert posix.system object with the command as argument", p)
	}
	s := Summarize(r)
	if !reflect.DeepEqual(s.DangerousGlobals, []string{"posix.system"}) {
		t.Errorf("Summary.DangerousGlobals = %q", s.DangerousGlobals)
	}
	if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("marker %s exists (stat err %v): the payload ran", marker, err)
	}
}

// Scalars in state_dict and optimizer_states are never read.
func TestBulkScalarsNotResolved(t *testing.T) {
	r, err := Open(fixture("lightning2.ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	nbt, ok := r.Lookup("state_dict", "1.num_batches_tracked")
	if tn, isT := nbt.(*Tensor); !ok || !isT || tn.Numel != 1 || tn.DType != "int64" || tn.Value != nil {
		t.Errorf("state_dict num_batches_tracked = %#v, want an unresolved int64 scalar tensor", nbt)
	}
	step, ok := r.Lookup("optimizer_states", "0", "state", "0", "step")
	if tn, isT := step.(*Tensor); !ok || !isT || tn.Numel != 1 || tn.Value != nil {
		t.Errorf("optimizer step = %#v, want an unresolved scalar tensor", step)
	}
	w, ok := r.Lookup("state_dict", "0.weight")
	if tn, isT := w.(*Tensor); !ok || !isT || !reflect.DeepEqual(tn.Shape, []int64{2, 3}) || tn.Numel != 6 || tn.DType != "float32" {
		t.Errorf("state_dict 0.weight = %#v, want float32 [2 3]", w)
	}
}

func TestLookup(t *testing.T) {
	r := &Reader{Root: map[string]any{
		"a":   []any{int64(1), map[string]any{"b": "c"}},
		"obj": &Object{Items: map[string]any{"i": 1.5}, State: map[string]any{"s": true}},
	}}
	tests := []struct {
		Name string
		Path []string
		Want any
		OK   bool
	}{
		{"root", nil, r.Root, true},
		{"list index", []string{"a", "0"}, int64(1), true},
		{"nested", []string{"a", "1", "b"}, "c", true},
		{"bad index", []string{"a", "2"}, nil, false},
		{"non-numeric index", []string{"a", "x"}, nil, false},
		{"missing key", []string{"zzz"}, nil, false},
		{"into scalar", []string{"a", "0", "x"}, nil, false},
		{"object item", []string{"obj", "i"}, 1.5, true},
		{"object state", []string{"obj", "s"}, true, true},
		{"object missing", []string{"obj", "nope"}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.Name, func(t *testing.T) {
			got, ok := r.Lookup(tt.Path...)
			if ok != tt.OK || !reflect.DeepEqual(got, tt.Want) {
				t.Errorf("Lookup(%q) = %#v, %v; want %#v, %v", tt.Path, got, ok, tt.Want, tt.OK)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	r, err := Open(fixture("lightning2.ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	s := Summarize(r)
	if s.Format != "zip" || s.LightningVersion != "2.1.3" || s.Epoch == nil || *s.Epoch != 7 || s.GlobalStep == nil || *s.GlobalStep != 800 {
		t.Errorf("summary header = %+v", s)
	}
	if len(s.Callbacks) != 2 {
		t.Fatalf("callbacks = %+v", s.Callbacks)
	}
	es, mc := s.Callbacks[0], s.Callbacks[1] // sorted by key
	if es.Class != "EarlyStopping" || es.Monitor != "val/loss" || es.Mode != "min" || es.BestScore == nil || *es.BestScore != 0.25 {
		t.Errorf("EarlyStopping summary = %+v", es)
	}
	if mc.Class != "ModelCheckpoint" || mc.Monitor != "val/hmean" || mc.Mode != "max" || mc.BestScore == nil || *mc.BestScore != 0.8125 ||
		mc.BestModelPath != "/runs/exp1/checkpoints/epoch=7-step=800.ckpt" {
		t.Errorf("ModelCheckpoint summary = %+v", mc)
	}
	metrics := map[string]Number{}
	for _, m := range s.Metrics {
		metrics[m.Name] = m.Value
	}
	for name, want := range map[string]Number{"cleval_metrics.precision": 0.875, "cleval_metrics.recall": 0.75,
		"cleval_metrics.hmean": 0.8076923076923077, "val_metrics.val/loss": 0.25} {
		if metrics[name] != want {
			t.Errorf("metric %s = %v, want %v (all: %v)", name, metrics[name], want, s.Metrics)
		}
	}
	if want := []string{"batch_size", "lr", "max_epochs", "model", "tags", "warmup_lr"}; !reflect.DeepEqual(s.HyperParameterKeys, want) {
		t.Errorf("HyperParameterKeys = %q, want %q", s.HyperParameterKeys, want)
	}
	if s.TensorCount == 0 || s.TensorBytes == 0 || len(s.DangerousGlobals) != 0 {
		t.Errorf("tensors %d/%d bytes, dangerous %q", s.TensorCount, s.TensorBytes, s.DangerousGlobals)
	}

	var a, b bytes.Buffer
	if err := s.WriteText(&a); err != nil {
		t.Fatal(err)
	}
	if err := Summarize(r).WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Errorf("WriteText is not deterministic:\n%s\n---\n%s", a.String(), b.String())
	}
	for _, want := range []string{"epoch:              7\n", "class=ModelCheckpoint monitor=val/hmean mode=max best=0.8125", "cleval_metrics.hmean = 0.8076923076923077"} {
		if !strings.Contains(a.String(), want) {
			t.Errorf("WriteText output lacks %q:\n%s", want, a.String())
		}
	}
}

func TestSummarizeNaNScoreJSON(t *testing.T) {
	r, err := Open(fixture("unique_callback.ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	s := Summarize(r)
	if len(s.Callbacks) != 1 || s.Callbacks[0].Class != "UniqueModelCheckpoint" || s.Callbacks[0].BestScore == nil || !math.IsNaN(float64(*s.Callbacks[0].BestScore)) {
		t.Fatalf("callbacks = %+v", s.Callbacks)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	if !bytes.Contains(b, []byte(`"best_score":"NaN"`)) || !bytes.Contains(b, []byte(`"lightning_version":"1.9.5"`)) {
		t.Errorf("JSON = %s", b)
	}
}

func TestSummarizeLegacyClassKeys(t *testing.T) {
	r, err := Open(fixture("legacy.ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	s := Summarize(r)
	if len(s.Callbacks) != 2 || s.Callbacks[1].Class != "ModelCheckpoint" || s.Callbacks[1].Monitor != "val_loss" || *s.Callbacks[1].BestScore != 0.6875 {
		t.Errorf("callbacks = %+v", s.Callbacks)
	}
}

func TestFingerprintFile(t *testing.T) {
	for _, name := range []string{"lightning2.ckpt", "legacy.ckpt"} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "x.ckpt")
			testenv.CopyFile(t, fixture(name), p)
			a, err := FingerprintFile(p)
			if err != nil {
				t.Fatal(err)
			}
			b, err := FingerprintFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if a != b {
				t.Errorf("fingerprint not stable: %+v vs %+v", a, b)
			}
			r, err := Open(p)
			if err != nil {
				t.Fatal(err)
			}
			st, _ := os.Stat(p)
			if a.PickleSHA256 != r.PickleSHA256 || a.Size != st.Size() || !a.ModTime.Equal(st.ModTime()) {
				t.Errorf("fingerprint %+v disagrees with Open (%s) or stat (%d)", a, r.PickleSHA256, st.Size())
			}
			testenv.CopyFile(t, fixture("weights_only.ckpt"), p) // rewritten with other contents
			c, err := FingerprintFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if c.PickleSHA256 == a.PickleSHA256 || c.Size == a.Size {
				t.Errorf("fingerprint did not change after rewrite: %+v vs %+v", a, c)
			}
		})
	}
}

func TestFingerprintErrors(t *testing.T) {
	if _, err := FingerprintFile(fixture("not_a_checkpoint.ckpt")); !errors.Is(err, ErrFormat) {
		t.Errorf("not a checkpoint: err = %v", err)
	}
	if _, err := FingerprintFile(fixture("does-not-exist.ckpt")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v", err)
	}
}

// zipEntry is one record of a zip built in a test.
type zipEntry struct {
	Name   string
	Data   []byte
	Method uint16
}

func buildZip(t testing.TB, entries ...zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.Name, Method: e.Method})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(e.Data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fixtureEntries returns the records of a zip fixture.
func fixtureEntries(t testing.TB, name string) []zipEntry {
	t.Helper()
	zr, err := zip.OpenReader(fixture(name))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var out []zipEntry
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, zipEntry{Name: f.Name, Data: b})
	}
	return out
}

func openBytes(b []byte) (*Reader, error) {
	return NewReader(bytes.NewReader(b), int64(len(b)), "mem.ckpt")
}

func TestZipStructure(t *testing.T) {
	pkl := []byte("\x80\x02}q\x00X\x05\x00\x00\x00epochq\x01K\x03s.") // {'epoch': 3}
	tests := []struct {
		Name    string
		Entries []zipEntry
		Err     error
		Epoch   int64
	}{
		{"minimal", []zipEntry{{Name: "r/data.pkl", Data: pkl}}, nil, 3},
		{"deflated data.pkl", []zipEntry{{Name: "r/data.pkl", Data: pkl, Method: zip.Deflate}}, nil, 3},
		{"duplicate data.pkl", []zipEntry{{Name: "r/data.pkl", Data: pkl}, {Name: "r/data.pkl", Data: pkl}}, ErrFormat, 0},
		{"entry outside root", []zipEntry{{Name: "r/data.pkl", Data: pkl}, {Name: "other/x", Data: nil}}, ErrFormat, 0},
		{"no root folder", []zipEntry{{Name: "data.pkl", Data: pkl}}, ErrFormat, 0},
		{"no data.pkl", []zipEntry{{Name: "r/version", Data: []byte("3\n")}}, ErrFormat, 0},
		{"constants.pkl", []zipEntry{{Name: "r/data.pkl", Data: pkl}, {Name: "r/constants.pkl", Data: pkl}}, ErrUnsupported, 0},
		{"data after STOP", []zipEntry{{Name: "r/data.pkl", Data: append(append([]byte{}, pkl...), 'N')}}, ErrFormat, 0},
	}
	for _, tt := range tests {
		t.Run(tt.Name, func(t *testing.T) {
			r, err := openBytes(buildZip(t, tt.Entries...))
			if !errors.Is(err, tt.Err) || tt.Err == nil && err != nil {
				t.Fatalf("err = %v, want %v", err, tt.Err)
			}
			if err == nil {
				if got, _ := r.Lookup("epoch"); got != tt.Epoch {
					t.Errorf("epoch = %#v, want %d", got, tt.Epoch)
				}
			}
		})
	}
}

// A big-endian archive (byteorder record "big") decodes scalars big-endian;
// a deflated storage record is never read.
func TestScalarByteOrderAndMethod(t *testing.T) {
	mc := "ModelCheckpoint{'monitor': 'val/hmean', 'mode': 'max', 'every_n_train_steps': 0, 'every_n_epochs': 1, 'train_time_interval': None}"
	base := fixtureEntries(t, "best.ckpt")
	var big, deflated []zipEntry
	for _, e := range base {
		be, de := e, e
		de.Method = zip.Deflate
		// The only 4-byte storage is the float32 score; swap it to big-endian.
		if strings.HasPrefix(e.Name, "best/data/") && len(e.Data) == 4 {
			be.Data = []byte{e.Data[3], e.Data[2], e.Data[1], e.Data[0]}
		}
		big, deflated = append(big, be), append(deflated, de)
	}
	// torch 1.13 writes no byteorder record (little is the default); add one.
	big = append(big, zipEntry{Name: "best/byteorder", Data: []byte("big")})
	r, err := openBytes(buildZip(t, big...))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := r.Lookup("callbacks", mc, "best_model_score"); v.(*Tensor).Value != 0.5 {
		t.Errorf("big-endian best_model_score = %#v, want 0.5", v.(*Tensor).Value)
	}
	r, err = openBytes(buildZip(t, deflated...))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := r.Lookup("callbacks", mc, "best_model_score"); v.(*Tensor).Value != nil {
		t.Errorf("deflated storage was read: %#v", v.(*Tensor).Value)
	}
}

// Each case is a hostile or malformed data.pkl; all must fail cleanly with
// a *FormatError (never a panic, never an out-of-memory crash).
func TestHostilePickles(t *testing.T) {
	tests := []struct {
		Name  string
		Pkl   string
		Limit bool // wraps ErrLimit
	}{
		{"BINBYTES8 2^48", "\x80\x04\x8e\x00\x00\x00\x00\x00\x00\x01\x00.", false},
		{"BYTEARRAY8 2^48", "\x80\x05\x96\x00\x00\x00\x00\x00\x00\x01\x00.", false},
		{"FRAME 2^48", "\x80\x04\x95\x00\x00\x00\x00\x00\x00\x01\x00N.", false},
		{"LONG4 negative", "\x80\x02\x8b\xff\xff\xff\xff.", false},
		{"BINSTRING negative", "T\xff\xff\xff\xff.", false},
		{"BINUNICODE past end", "X\xff\xff\xff\x7fabc.", false},
		{"empty LONG1", "\x80\x02\x8a\x00.", false},
		{"GET undefined memo", "\x80\x02h\x05.", false},
		{"STACK_GLOBAL of non-strings", "\x80\x04K\x01K\x02\x93.", false},
		{"EXT1", "\x80\x02\x82\x01.", false},
		{"INST", "(ios\nsystem\n.", false},
		{"OBJ", "(cos\nsystem\no.", false},
		{"text PERSID", "Pfoo\n.", false},
		{"NEXT_BUFFER", "\x80\x05\x97.", false},
		{"unknown opcode 0xff", "\x80\x02\xff.", false},
		{"protocol 9", "\x80\x09N.", false},
		{"odd DICT", "(K\x01d.", false},
		{"stack underflow", "\x80\x02R.", false},
		{"STOP with leftovers", "\x80\x02NN.", false},
		{"no STOP", "\x80\x02N", false},
		{"MARK bomb", "\x80\x02" + strings.Repeat("(", maxMarkDepth+1), true},
		{"LONG4 of 2049 bytes", "\x80\x02\x8b\x01\x08\x00\x00" + strings.Repeat("\x7f", 2049) + ".", true},
		{"LONG4 declaring 2 GiB", "\x80\x02\x8b\xff\xff\xff\x7f\x00.", false},
		{"list of empty dicts past the container budget", "\x80\x02](" + strings.Repeat("}", 2*containerSlack) + "e.", true},
		{"MEMOIZE past the memo budget", "\x80\x04N" + strings.Repeat("\x94", 2*memoSlack) + ".", true},
		{"unterminated GLOBAL", "cos\nsys", false},
		{"REDUCE non-tuple args", "\x80\x02cos\nsystem\nK\x01R.", false},
		{"tensor rebuild without storage", "\x80\x02ctorch._utils\n_rebuild_tensor_v2\nK\x01K\x02\x86R.", false},
		{"bad persistent id", "\x80\x02K\x01Q.", false},
	}
	for _, tt := range tests {
		t.Run(tt.Name, func(t *testing.T) {
			_, err := openBytes(buildZip(t, zipEntry{Name: "archive/data.pkl", Data: []byte(tt.Pkl)}))
			var fe *FormatError
			if !errors.As(err, &fe) || !errors.Is(err, ErrFormat) {
				t.Fatalf("err = %v, want a *FormatError", err)
			}
			if fe.Name != "mem.ckpt" || fe.Record != "archive/data.pkl" {
				t.Errorf("FormatError Name/Record = %q/%q", fe.Name, fe.Record)
			}
			if errors.Is(err, ErrLimit) != tt.Limit {
				t.Errorf("errors.Is(err, ErrLimit) = %v, want %v (err %v)", !tt.Limit, tt.Limit, err)
			}
		})
	}
}

// Reference cycles and inert objects decode without recursion blow-ups.
func TestCyclesAreCut(t *testing.T) {
	// d = {}; d['self'] = d ; l = [l]
	pkl := "\x80\x02}q\x00X\x04\x00\x00\x00selfq\x01h\x00s."
	r, err := openBytes(buildZip(t, zipEntry{Name: "archive/data.pkl", Data: []byte(pkl)}))
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := r.Lookup("self"); !ok || v != nil {
		t.Errorf("self = %#v, %v; want the cycle cut to nil", v, ok)
	}
}

func TestZipDirectoryBudget(t *testing.T) {
	entries := []zipEntry{{Name: "archive/data.pkl", Data: []byte("\x80\x02}.")}}
	for i := 0; i < 2000; i++ {
		entries = append(entries, zipEntry{Name: "archive/data/" + strings.Repeat("k", 40) + string(rune('a'+i%26)) + strings.Repeat("z", i%7) + "/" + string(rune('0'+i%10)) + string(rune('A'+i/10%26)) + string(rune('a'+i/260))})
	}
	data := buildZip(t, entries...)
	if _, err := openBytes(data); err != nil {
		t.Fatalf("within budget: %v", err)
	}
	old := maxDirectory
	maxDirectory = 16 << 10
	defer func() { maxDirectory = old }()
	if _, err := openBytes(data); !errors.Is(err, ErrLimit) {
		t.Errorf("over budget: err = %v, want ErrLimit", err)
	}
}
