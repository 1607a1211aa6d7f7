package generate

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ckptmeta/ckptmeta/internal/ckpt"
)

// tree writes files (slash paths relative to a temp dir) and returns the dir.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func f64(v float64) *float64 { return &v }
func i64(v int64) *int64     { return &v }
func boolp(v bool) *bool     { return &v }

func scalarTensor(v any) *ckpt.Tensor {
	return &ckpt.Tensor{DType: "float32", Shape: []int64{}, Numel: 1, Value: v}
}

const octConfig = `
exp_name: ocr_training-dbnet
max_epochs: 25
model:
  _target_: ocr.models.architecture.OCRModel
  architectures: dbnet
  component_overrides:
    encoder: {model_name: mobilenetv3_small_050, select_features: [1, 2], pretrained: true}
    decoder: {name: pan_decoder, params: {inner_channels: 96, output_channels: 128, smooth: true}}
    head: {name: db_head, params: {k: 50, postprocess: {thresh: 0.2}}}
    loss: {name: db_loss, params: {negative_ratio: 3.0, use_ohem: true, weights: [1, 2]}}
  encoder: {_target_: "${encoder_path}.TimmBackbone", model_name: resnet18}
  decoder: {_target_: "${decoder_path}.UNet", in_channels: [64, 128], inner_channels: 256, output_channels: 256}
trainer: {max_epochs: "${max_epochs}"}
callbacks:
  model_checkpoint: {monitor: val/hmean, mode: max, save_top_k: 3, save_last: true, training_phase: training, dirpath: "${paths.checkpoint_dir}"}
logger: {wandb: {id: tit2247i}}
`

const v5Config = `
model:
  _target_: ocr.core.models.architecture.OCRModel
  encoder: {_target_: ocr.core.models.encoder.TimmBackbone, model_name: resnet50, pretrained: true}
  decoder: {_target_: ocr.core.models.decoder.FPNDecoder, in_channels: [256, 512], inner_channels: 256, out_channels: 128}
  head: {_target_: ocr.core.models.head.DBHead, in_channels: 256, upscale: 4}
  loss: {_target_: ocr.core.models.loss.DBLoss, alpha: 1.0, beta: 10}
trainer: {max_epochs: -1}
training:
  callbacks:
    model_checkpoint: {monitor: val/loss, mode: min, save_top_k: -1, save_last: link}
exp_name: ${oc.env:EXP}
`

func TestExtract(t *testing.T) {
	lightning := func(extra map[string]any) map[string]any {
		m := map[string]any{"epoch": int64(18), "global_step": int64(3895), "pytorch-lightning_version": "2.1.3"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name     string
		files    map[string]string // the run tree
		ckpt     string            // checkpoint path inside the tree
		root     map[string]any    // the reader's Root
		carry    *Carry
		check    func(t *testing.T, f *Facts)
		warnings []string // substrings that must appear among the warnings
		err      error
	}{
		{
			name:  "oct 2025 config: component_overrides merged over model parts key by key, interpolations resolved",
			files: map[string]string{"outputs/run_33/.hydra/config.yaml": octConfig},
			ckpt:  "outputs/run_33/checkpoints/best.ckpt",
			root: lightning(map[string]any{
				"cleval_metrics": map[string]any{"precision": 0.95, "recall": 0.96, "hmean": 0.955},
			}),
			check: func(t *testing.T, f *Facts) {
				want := Model{
					Architecture: "dbnet",
					Encoder:      &Encoder{ModelName: "mobilenetv3_small_050", Pretrained: boolp(true)},
					Decoder:      &Decoder{Name: "pan_decoder", InChannels: []int64{64, 128}, InnerChannels: i64(96), OutputChannels: i64(128), Params: map[string]any{"smooth": true}},
					Head:         &Head{Name: "db_head", Params: map[string]any{"k": int64(50)}},
					Loss:         &Loss{Name: "db_loss", Params: map[string]any{"negative_ratio": 3.0}},
				}
				if !reflect.DeepEqual(f.Model, want) {
					t.Errorf("model = %s\nwant %s", show(f.Model), show(want))
				}
				eq(t, "max_epochs", f.MaxEpochs, i64(25))
				eq(t, "exp_name", f.ExpName, "ocr_training-dbnet")
				eq(t, "wandb", f.WandbRunID, "tit2247i")
				eq(t, "checkpointing", f.Checkpointing, Checkpointing{Monitor: "val/hmean", Mode: "max", SaveTopK: i64(3), SaveLast: boolp(true)})
				eq(t, "hmean", f.Metrics.Hmean, f64(0.955))
				eq(t, "path", f.Path, "run_33/checkpoints/best.ckpt")
				eq(t, "hydra path", f.HydraPath, "run_33/.hydra/config.yaml")
				eq(t, "sources", []Source{f.Sources["model.decoder"], f.Sources["checkpointing.monitor"], f.Sources["training.epoch"], f.Sources["exp_name"]},
					[]Source{SourceHydra, SourceHydra, SourceCheckpoint, SourceHydra})
			},
			warnings: []string{
				"model.component_overrides.head.params: left out postprocess (a mapping)",
				"model.component_overrides.loss.params: left out use_ohem true, weights (a list)",
			},
		},
		{
			name:  "v5 config: architecture from _target_, out_channels, max_epochs -1, save_last link",
			files: map[string]string{"outputs/det/.hydra/config.yaml": v5Config},
			ckpt:  "outputs/det/checkpoints/epoch=10-step=1133.ckpt",
			root:  map[string]any{"epoch": int64(10), "global_step": int64(1133), "state_dict": map[string]any{}},
			check: func(t *testing.T, f *Facts) {
				eq(t, "architecture", f.Model.Architecture, "ocrmodel")
				eq(t, "decoder", f.Model.Decoder, &Decoder{Name: "fpndecoder", InChannels: []int64{256, 512}, InnerChannels: i64(256), OutputChannels: i64(128), Params: map[string]any{}})
				eq(t, "head", f.Model.Head, &Head{Name: "dbhead", InChannels: i64(256), Params: map[string]any{"upscale": int64(4)}})
				eq(t, "loss", f.Model.Loss, &Loss{Name: "dbloss", Params: map[string]any{"alpha": 1.0, "beta": int64(10)}})
				eq(t, "max_epochs", f.MaxEpochs, (*int64)(nil))
				eq(t, "checkpointing", f.Checkpointing, Checkpointing{Monitor: "val/loss", Mode: "min", SaveTopK: i64(-1)})
				eq(t, "exp_name from the directory", f.ExpName, "det")
				eq(t, "exp_name source", f.Sources["exp_name"], SourceFilename)
			},
			warnings: []string{
				`model.architecture "ocrmodel" comes from the class name in model._target_`,
				`callbacks.model_checkpoint.save_last "link" is not a boolean`,
				`exp_name "${oc.env:EXP}" cannot be resolved (resolver oc.env: is only known at run time)`,
			},
		},
		{
			name:  "pre-1.5 class key, hyper_parameters beat Hydra, f1 as hmean",
			files: map[string]string{"outputs/exp/.hydra/config.yaml": octConfig},
			ckpt:  "outputs/exp/checkpoints/epoch-10_step-001133.ckpt",
			root: lightning(map[string]any{
				"callbacks": map[string]any{
					"lightning.pytorch.callbacks.early_stopping.EarlyStopping":     map[string]any{"best_score": scalarTensor(0.5)},
					"lightning.pytorch.callbacks.model_checkpoint.ModelCheckpoint": map[string]any{"monitor": "val/f1", "best_model_score": scalarTensor(0.8125), "best_model_path": "/x/checkpoints/epoch-10_step-001133.ckpt"},
				},
				"cleval_metrics": map[string]any{"precision": 0.83, "recall": 0.79, "f1": 0.81},
				"hyper_parameters": map[string]any{
					"architecture_name": "dbnetpp",
					"decoder":           map[string]any{"name": "dbpp_decoder", "in_channels": int64(256)},
					"max_epochs":        int64(40),
				},
			}),
			check: func(t *testing.T, f *Facts) {
				eq(t, "architecture", f.Model.Architecture, "dbnetpp")
				eq(t, "decoder", f.Model.Decoder, &Decoder{Name: "dbpp_decoder", InChannels: []int64{256}, Params: map[string]any{}})
				eq(t, "encoder from hydra", f.Model.Encoder.ModelName, "mobilenetv3_small_050")
				eq(t, "max_epochs", f.MaxEpochs, i64(40))
				eq(t, "monitor", f.Checkpointing.Monitor, "val/f1")
				eq(t, "mode from hydra", f.Checkpointing.Mode, "max")
				eq(t, "hmean from cleval f1", f.Metrics.Hmean, f64(0.81))
				eq(t, "best", f.Metrics.Best, f64(0.8125))
				eq(t, "own score", f.Metrics.Additional, map[string]float64{"val/f1": 0.8125})
				eq(t, "sources", []Source{f.Sources["model.architecture"], f.Sources["model.decoder"], f.Sources["model.encoder"], f.Sources["checkpointing.mode"]},
					[]Source{SourceHyperParameters, SourceHyperParameters, SourceHydra, SourceHydra})
			},
		},
		{
			name: "best score of another file is not this file's metric; NaN score is null",
			ckpt: "outputs/exp/checkpoints/last.ckpt",
			root: lightning(map[string]any{
				"callbacks": map[string]any{
					"UniqueModelCheckpoint{'monitor': 'val/hmean', 'mode': 'max', 'train_time_interval': datetime.timedelta(seconds=60)}": map[string]any{
						"monitor": "val/hmean", "best_model_score": scalarTensor(math.NaN()), "best_model_path": "/x/best.ckpt",
					},
				},
			}),
			check: func(t *testing.T, f *Facts) {
				eq(t, "best", f.Metrics.Best, (*float64)(nil))
				eq(t, "additional", f.Metrics.Additional, map[string]float64(nil))
				eq(t, "checkpointing", f.Checkpointing, Checkpointing{Monitor: "val/hmean", Mode: "max"})
			},
			warnings: []string{"callback best_model_score is NaN; written as null"},
		},
		{
			name: "cleval values outside [0, 1] or NaN are left out",
			ckpt: "outputs/exp/checkpoints/last.ckpt",
			root: lightning(map[string]any{"cleval_metrics": map[string]any{"precision": 95.1, "recall": math.Inf(1), "hmean": "x"}}),
			check: func(t *testing.T, f *Facts) {
				eq(t, "metrics", f.Metrics, Metrics{})
			},
			warnings: []string{"cleval_metrics.precision = 95.1 is outside [0, 1]", "cleval_metrics.recall is +Inf; written as null", `cleval_metrics.hmean "x" is not a number`},
		},
		{
			name: "weights-only checkpoint: epoch and step from the file name, metric too",
			ckpt: "outputs/exp/checkpoints/epoch_09_step_002730_hmean=0.8534.ckpt",
			root: map[string]any{"state_dict": map[string]any{}},
			check: func(t *testing.T, f *Facts) {
				eq(t, "epoch", f.Epoch, i64(9))
				eq(t, "step", f.GlobalStep, i64(2730))
				eq(t, "hmean", f.Metrics.Hmean, f64(0.8534))
				eq(t, "source", f.Sources["training.epoch"], SourceFilename)
			},
		},
		{
			name:  "carried values win",
			files: map[string]string{"outputs/exp/.hydra/config.yaml": octConfig},
			ckpt:  "outputs/exp/checkpoints/best.ckpt",
			root:  lightning(map[string]any{"wandb_run_id": "fromckpt"}),
			carry: &Carry{ExpName: "hand written", WandbRunID: "abc123"},
			check: func(t *testing.T, f *Facts) {
				eq(t, "exp_name", f.ExpName, "hand written")
				eq(t, "wandb", f.WandbRunID, "abc123")
				eq(t, "source", f.Sources["exp_name"], SourceCarried)
			},
		},
		{
			name:  "nested run does not take the outer run's config",
			files: map[string]string{"outputs/outer/.hydra/config.yaml": octConfig},
			ckpt:  "outputs/outer/checkpoints/inner/checkpoints/epoch-18_step-001957.ckpt",
			root:  lightning(nil),
			check: func(t *testing.T, f *Facts) {
				eq(t, "hydra", f.HydraPath, "")
				eq(t, "exp_name", f.ExpName, "inner")
				eq(t, "model", f.Model, Model{})
			},
		},
		{
			name: "nearest config wins",
			files: map[string]string{
				"outputs/exp/.hydra/config.yaml":             octConfig,
				"outputs/exp/checkpoints/.hydra/config.yaml": "exp_name: nearer\n",
			},
			ckpt: "outputs/exp/checkpoints/best.ckpt",
			root: lightning(nil),
			check: func(t *testing.T, f *Facts) {
				eq(t, "exp_name", f.ExpName, "nearer")
				eq(t, "hydra", f.HydraPath, "exp/checkpoints/.hydra/config.yaml")
			},
		},
		{
			name:  "unreadable config is a warning",
			files: map[string]string{"outputs/exp/.hydra/config.yaml": "a: [unclosed\n"},
			ckpt:  "outputs/exp/checkpoints/best.ckpt",
			root:  lightning(nil),
			check: func(t *testing.T, f *Facts) {
				eq(t, "hydra", f.HydraPath, "")
			},
			warnings: []string{"hydra config exp/.hydra/config.yaml not read"},
		},
		{
			name: "no epoch anywhere",
			ckpt: "outputs/exp/checkpoints/best.ckpt",
			root: map[string]any{"global_step": int64(3)},
			err:  ErrNoEpoch,
		},
		{
			name: "negative epoch is not an epoch",
			ckpt: "outputs/exp/checkpoints/last.ckpt",
			root: map[string]any{"epoch": int64(-1), "global_step": int64(3)},
			err:  ErrNoEpoch,
		},
		{
			name: "no global step anywhere",
			ckpt: "outputs/exp/checkpoints/epoch=3.ckpt",
			root: map[string]any{},
			err:  ErrNoGlobalStep,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tree(t, tt.files)
			path := filepath.Join(dir, filepath.FromSlash(tt.ckpt))
			f, err := Extract(&ckpt.Reader{Root: tt.root}, path, Options{Carry: tt.carry})
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				if !strings.Contains(err.Error(), path) {
					t.Errorf("error %q does not name the checkpoint", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, f)
			all := strings.Join(f.Warnings, "\n")
			for _, w := range tt.warnings {
				if !strings.Contains(all, w) {
					t.Errorf("no warning containing %q in:\n%s", w, all)
				}
			}
		})
	}
}

func eq(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %s, want %s", what, show(got), show(want))
	}
}

func TestLocate(t *testing.T) {
	dir := tree(t, map[string]string{
		"outputs/exp/.hydra/config.yaml":    "exp_name: e\n",
		"elsewhere/run/.hydra/config.yaml":  "exp_name: r\n",
		"flat/.hydra/config.yaml":           "exp_name: f\n",
		"outputs/far/a/b/c/d/checkpoints/x": "",
		"outputs/far/.hydra/config.yaml":    "exp_name: far\n",
	})
	abs := func(p string) string { return filepath.Join(dir, filepath.FromSlash(p)) }
	tests := []struct {
		name      string
		ckpt      string
		root      string
		wantRoot  string
		wantRel   string
		wantHydra string
		err       error
	}{
		{name: "nearest outputs ancestor", ckpt: "outputs/exp/checkpoints/best.ckpt", wantRoot: "outputs", wantRel: "exp/checkpoints/best.ckpt", wantHydra: "exp/.hydra/config.yaml"},
		{name: "no outputs ancestor: the run dir's parent", ckpt: "elsewhere/run/checkpoints/best.ckpt", wantRoot: "elsewhere", wantRel: "run/checkpoints/best.ckpt", wantHydra: "run/.hydra/config.yaml"},
		{name: "no checkpoints dir either", ckpt: "flat/model.ckpt", wantRoot: ".", wantRel: "flat/model.ckpt", wantHydra: "flat/.hydra/config.yaml"},
		{name: "explicit root", ckpt: "outputs/exp/checkpoints/best.ckpt", root: "outputs/exp", wantRoot: "outputs/exp", wantRel: "checkpoints/best.ckpt", wantHydra: ".hydra/config.yaml"},
		{name: "explicit root stops the search", ckpt: "outputs/exp/checkpoints/best.ckpt", root: "outputs/exp/checkpoints", wantRoot: "outputs/exp/checkpoints", wantRel: "best.ckpt"},
		{name: "a config above the run dir is not this run's", ckpt: "outputs/far/a/b/c/d/checkpoints/x.ckpt", wantRoot: "outputs", wantRel: "far/a/b/c/d/checkpoints/x.ckpt"},
		{name: "outside the root", ckpt: "elsewhere/run/checkpoints/best.ckpt", root: "outputs", err: ErrOutsideRoot},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := ""
			if tt.root != "" {
				root = abs(tt.root)
			}
			loc, err := locate(abs(tt.ckpt), root)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			eq(t, "root", loc.root, filepath.Clean(abs(tt.wantRoot)))
			eq(t, "rel", loc.rel, tt.wantRel)
			eq(t, "hydra", loc.hydraRel, tt.wantHydra)
		})
	}
}

func TestExtractObjects(t *testing.T) {
	// Classes the reader does not unwrap still give their items or state.
	dir := tree(t, nil)
	root := map[string]any{
		"epoch": int64(2), "global_step": int64(20),
		"hyper_parameters": &ckpt.Object{Class: ckpt.Global{Module: "my.pkg", Name: "Config"}, State: map[string]any{"architecture_name": "craft"}},
		"callbacks": map[string]any{
			"my.pkg.BestKeeper": &ckpt.Object{Class: ckpt.Global{Module: "my.pkg", Name: "State"}, Items: map[string]any{
				"monitor": "val/hmean", "best_model_score": scalarTensor(0.5), "best_model_path": "best.ckpt",
			}},
		},
	}
	f, err := Extract(&ckpt.Reader{Root: root}, filepath.Join(dir, "outputs", "e", "checkpoints", "best.ckpt"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "architecture", f.Model.Architecture, "craft")
	eq(t, "monitor", f.Checkpointing.Monitor, "val/hmean")
	eq(t, "own score", f.Metrics.Additional, map[string]float64{"val/hmean": 0.5})
	eq(t, "hmean from the monitored name", f.Metrics.Hmean, f64(0.5))
}
