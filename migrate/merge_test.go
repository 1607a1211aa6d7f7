package migrate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckptmeta/ckptmeta/validate"
)

// handEdited is a sidecar a person kept by hand for a checkpoint that records almost
// nothing itself (canonical-fix2's last.ckpt: epoch, step and Lightning version only). Its
// negative epoch makes it invalid in its own version, so migrate regenerates it.
const handEdited = `# my run, edited by hand
schema_version: '1.0'
checkpoint_path: canonical-fix2-dbnet-fpn_decoder-mobilenetv3_small_050/checkpoints/last.ckpt
exp_name: fix2-by-hand # named by hand
created_at: '2025-10-19T13:36:50.323967'
training:
  epoch: -1
  global_step: 5
  training_phase: finetuning
  max_epochs: 30
model:
  architecture: dbnet # the real one
  encoder:
    model_name: mobilenetv3_small_050
    pretrained: false
    frozen: true
  decoder:
    name: fpn_decoder
    in_channels: [16, 24, 48, 96]
    inner_channels: 96
    output_channels: 128
    params: {smooth: true}
  head:
    name: db_head
    in_channels: 128
    params: {k: 50}
  loss:
    name: db_loss
    params: {alpha: 1.0}
metrics:
  precision: 0.88
  recall: 0.71
  hmean: 0.77
  validation_loss: null
  additional_metrics: {cleval/hmean: 0.77}
checkpointing:
  monitor: val/hmean
  mode: max # keep the best
  save_top_k: 3
  save_last: false
hydra_config_path: null
wandb_run_id: run42
reviewer: alice # a person's note
`

// TestRegenerationKeepsHumanValues: a regenerated sidecar takes the checkpoint's facts and
// keeps every other value of the old file, its extra keys and its comments, in 1.0 and in
// 2.0; no warning says a value the file does not get.
func TestRegenerationKeepsHumanValues(t *testing.T) {
	for _, tc := range []struct {
		to   string
		want []string // lines of the regenerated file
	}{
		{"1.0", []string{
			"# my run, edited by hand\nschema_version: '1.0'\n",
			"exp_name: fix2-by-hand # named by hand\n",
			"  epoch: 7\n", "  global_step: 1640\n", // the checkpoint's facts win
			"  training_phase: finetuning\n", "  max_epochs: 30\n",
			"  architecture: dbnet # the real one\n",
			"    model_name: mobilenetv3_small_050\n    pretrained: false\n    frozen: true\n",
			"    name: fpn_decoder\n    in_channels: [16, 24, 48, 96]\n    inner_channels: 96\n    output_channels: 128\n    params:\n      smooth: true\n",
			"    name: db_head\n    in_channels: 128\n    params:\n      k: 50\n",
			"    name: db_loss\n    params:\n      alpha: 1.0\n",
			"  precision: 0.88\n  recall: 0.71\n  hmean: 0.77\n",
			"  additional_metrics:\n    cleval/hmean: 0.77\n",
			"  monitor: val/hmean\n  mode: max # keep the best\n  save_top_k: 3\n  save_last: false\n",
			"wandb_run_id: run42\n",
			"reviewer: alice # a person's note\n",
		}},
		{"2.0", []string{
			"# my run, edited by hand\nschema_version: '2.0'\n",
			"  name: fix2-by-hand # named by hand\n  wandb_run_id: run42\n",
			"  epoch: 7\n", "  training_phase: finetuning\n", "  max_epochs: 30\n",
			"  architecture: dbnet # the real one\n",
			"    pretrained: false\n    frozen: true\n",
			"    name: fpn_decoder\n    in_channels: [16, 24, 48, 96]\n",
			"  monitor: val/hmean\n  mode: max # keep the best\n",
			"    precision: 0.88\n",
			"    cleval/hmean: 0.77\n",
			"  logged: [cleval/hmean]\n",
			"checkpointing:\n  save_top_k: 3\n  save_last: false\n",
			"reviewer: alice # a person's note\n",
		}},
	} {
		t.Run(tc.to, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "outputs")
			run := filepath.Join(root, "canonical-fix2-dbnet-fpn_decoder-mobilenetv3_small_050", "checkpoints")
			ck, err := os.ReadFile("../testdata/outputs/canonical-fix2-dbnet-fpn_decoder-mobilenetv3_small_050/checkpoints/last.ckpt")
			if err != nil {
				t.Fatal(err)
			}
			put(t, filepath.Join(run, "last.ckpt"), ck, 0o644)
			p := filepath.Join(run, "last.ckpt.metadata.yaml")
			put(t, p, []byte(handEdited), 0o644)
			_, rs := runAll(t, []string{root}, Options{Root: root, To: tc.to, Now: fixedNow, ToolVersion: "1.2.3"})
			r := byPath(rs)["last.ckpt.metadata.yaml"]
			if r == nil || r.Err != nil || !r.Regenerated || !r.Written {
				t.Fatalf("result: %+v", r)
			}
			out := string(readFixture(t, p))
			if os.Getenv("SHOW") != "" {
				t.Logf("%s\nwarnings: %q", out, r.Warnings)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("regenerated file lacks %q:\n%s", w, out)
				}
			}
			for _, w := range r.Warnings {
				if strings.Contains(w, "mode") || strings.Contains(w, "guess") {
					t.Errorf("warning about a value the old file gave: %q", w)
				}
			}
			doc, _ := validate.Parse(p, []byte(out))
			if err := validateValue(Default(), tc.to, doc.Value); err != nil {
				t.Errorf("not valid %s: %v", tc.to, err)
			}
			if b := readFixture(t, p+".bak"); string(b) != handEdited {
				t.Errorf("the replaced file was not kept as .bak")
			}
		})
	}
}
