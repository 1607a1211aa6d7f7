package migrate

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ckptmeta/ckptmeta/validate"
)

// outputsTree copies the shared det_resnet50_v1 run (real checkpoints, Hydra config) into
// a temp outputs root.
func outputsTree(t testing.TB) (root, ckDir string) {
	t.Helper()
	root = filepath.Join(t.TempDir(), "outputs")
	src := "../testdata/outputs/det_resnet50_v1"
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		dst := filepath.Join(root, "det_resnet50_v1", rel)
		if info.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(dst)
		if err != nil {
			return err
		}
		defer out.Close()
		_, err = io.Copy(out, in)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return root, filepath.Join(root, "det_resnet50_v1", "checkpoints")
}

const brokenSidecar = `schema_version: '1.0'
exp_name: hand-named-run
wandb_run_id: j8v6ba0v
training:
  epoch: 3
 global_step: 12
model: [unclosed
`

func TestRegenerateBroken(t *testing.T) {
	tests := []struct {
		name       string
		file       string // sidecar name beside checkpoints/last.ckpt
		src        string
		wantName   string // experiment.name in the regenerated file; "" = not carried
		wantWandb  string
		wantExtras []string // lines of extra keys the regenerated file keeps
	}{
		{name: "syntax error", file: "last.ckpt.metadata.yaml", src: brokenSidecar, wantName: "hand-named-run", wantWandb: "j8v6ba0v"},
		{name: "duplicate keys, ambiguous name", file: "last.metadata.yaml",
			src: "schema_version: '1.0'\nexp_name: one\nexp_name: two\nwandb_run_id: abc\n", wantWandb: "abc"},
		{name: "invalid in its own version", file: "last.ckpt.metadata.yaml",
			src: readFileString(t, "../testdata/sidecars/invalid/design-drift.metadata.yaml"), wantName: "pan_resnet18_add_polygons_canonical",
			wantExtras: []string{"  status: completed\n", "  val_hmean: 0.89\n"}},
		{name: "unknown version", file: "last.ckpt.metadata.yaml", src: "schema_version: '1.7'\nexp_name: seven\n", wantName: "seven"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root, ck := outputsTree(t)
			p := filepath.Join(ck, tc.file)
			put(t, p, []byte(tc.src), 0o644)
			sum, rs := runAll(t, []string{root}, Options{Root: root, Now: fixedNow, ToolVersion: "1.2.3"})
			r := byPath(rs)[tc.file]
			if r == nil || r.Err != nil || !r.Regenerated || !r.Written || r.Output != p || r.Cause == nil {
				t.Fatalf("result: %+v", r)
			}
			if sum.Regenerated != 1 {
				t.Errorf("summary: %+v", sum)
			}
			out := readFixture(t, p)
			doc, _ := validate.Parse(p, out)
			if doc == nil || doc.Version != "2.0" {
				t.Fatalf("not a 2.0 document:\n%s", out)
			}
			// Valid 2.0; keys no version defines (design-drift's training.status, val_*
			// metrics) are a person's and are kept, as warnings.
			if err := validateValue(Default(), "2.0", doc.Value); err != nil {
				t.Errorf("output is not valid 2.0: %v\n%s", err, out)
			}
			for _, kept := range tc.wantExtras {
				if !strings.Contains(string(out), kept) {
					t.Errorf("extra key %q was not kept:\n%s", kept, out)
				}
			}
			exp := doc.Value.(map[string]any)["experiment"].(map[string]any)
			if tc.wantName != "" && exp["name"] != tc.wantName {
				t.Errorf("experiment.name = %v, want %q", exp["name"], tc.wantName)
			}
			if tc.wantName == "" && (exp["name"] == "one" || exp["name"] == "two") {
				t.Errorf("an ambiguous exp_name was carried: %v", exp["name"])
			}
			if w, _ := exp["wandb_run_id"].(string); w != tc.wantWandb {
				t.Errorf("wandb_run_id = %q, want %q", w, tc.wantWandb)
			}
			if !strings.Contains(string(out), "action: regenerated") {
				t.Errorf("provenance does not say regenerated:\n%s", out)
			}
			if b := readFixture(t, p+".bak"); string(b) != tc.src {
				t.Errorf("the replaced file was not kept as .bak")
			}
			// The regenerated file is at the target: the next run leaves it alone.
			if sum, _ := runAll(t, []string{root}, Options{Root: root, Now: fixedNow}); sum.Changed != 0 {
				t.Errorf("second run: %+v", sum)
			}
		})
	}
}

func TestRegenerateNot(t *testing.T) {
	t.Run("NoRegenerate only reports", func(t *testing.T) {
		root, ck := outputsTree(t)
		p := filepath.Join(ck, "last.ckpt.metadata.yaml")
		put(t, p, []byte(brokenSidecar), 0o644)
		_, rs := runAll(t, []string{root}, Options{NoRegenerate: true})
		var pe *ParseError
		if r := byPath(rs)["last.ckpt.metadata.yaml"]; !errors.As(r.Err, &pe) || r.Regenerated || r.Written {
			t.Errorf("result: %+v", r)
		}
		if string(readFixture(t, p)) != brokenSidecar {
			t.Errorf("file touched")
		}
	})
	t.Run("no checkpoint", func(t *testing.T) {
		root, ck := outputsTree(t)
		p := filepath.Join(ck, "gone.ckpt.metadata.yaml")
		put(t, p, []byte(brokenSidecar), 0o644)
		_, rs := runAll(t, []string{root}, Options{})
		r := byPath(rs)["gone.ckpt.metadata.yaml"]
		var re *RegenError
		var pe *ParseError
		if !errors.As(r.Err, &re) || !errors.Is(r.Err, ErrNoCheckpoint) || !errors.As(r.Err, &pe) || r.Written {
			t.Errorf("result: %+v", r)
		}
		if string(readFixture(t, p)) != brokenSidecar {
			t.Errorf("file touched")
		}
	})
	t.Run("refusal beside a checkpoint", func(t *testing.T) {
		root, ck := outputsTree(t)
		p := filepath.Join(ck, "last.ckpt.metadata.yaml")
		src := base11 + "metrics: {hmean: 0.5, additional_metrics: {hmean: 0.6}}\n"
		put(t, p, []byte(src), 0o644)
		_, rs := runAll(t, []string{root}, Options{})
		var ce *CollisionError
		if r := byPath(rs)["last.ckpt.metadata.yaml"]; !errors.As(r.Err, &ce) || r.Regenerated {
			t.Errorf("result: %+v", r)
		}
		if string(readFixture(t, p)) != src {
			t.Errorf("file touched")
		}
	})
	t.Run("check reports without writing", func(t *testing.T) {
		root, ck := outputsTree(t)
		p := filepath.Join(ck, "last.ckpt.metadata.yaml")
		put(t, p, []byte(brokenSidecar), 0o644)
		sum, rs := runAll(t, []string{root}, Options{Check: true, Now: fixedNow})
		if r := byPath(rs)["last.ckpt.metadata.yaml"]; !r.Regenerated || r.Written || !r.Changed || sum.Changed != 1 {
			t.Errorf("result: %+v, summary %+v", r, sum)
		}
		if string(readFixture(t, p)) != brokenSidecar {
			t.Errorf("file touched")
		}
		if _, err := os.Stat(p + ".bak"); err == nil {
			t.Errorf("Check wrote a backup")
		}
	})
}

func TestCarryFrom(t *testing.T) {
	tests := []struct {
		name, src string
		want      carry
	}{
		{"parsed 1.x", "exp_name: a\nwandb_run_id: w\n", carry{ExpName: "a", WandbRunID: "w"}},
		{"parsed 2.0", "experiment: {name: b, wandb_run_id: x}\n", carry{ExpName: "b", WandbRunID: "x"}},
		{"not strings", "exp_name: 12\nwandb_run_id: null\n", carry{}},
		{"broken, one value each", "exp_name: 'c'  # c\nwandb_run_id: \"y\"\nbad: [\n", carry{ExpName: "c", WandbRunID: "y"}},
		{"broken, disagreeing", "exp_name: c\nexp_name: d\nwandb_run_id: y\nwandb_run_id: y\nx: [\n", carry{ExpName: "", WandbRunID: "y"}},
		{"broken 2.0 block", "experiment:\n  name: e\n  wandb_run_id: z\ntraining:\n  name: not-this\nbad: [\n", carry{ExpName: "e", WandbRunID: "z"}},
		{"broken, number", "exp_name: 1.5\nbad: [\n", carry{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := carryFrom("x.metadata.yaml", []byte(tc.src))
			if !strings.Contains(tc.name, "broken") && got.Old == nil {
				t.Errorf("a parsed document is not carried as Old")
			}
			got.Old = nil
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("carryFrom = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func readFileString(t testing.TB, p string) string { return string(readFixture(t, p)) }
