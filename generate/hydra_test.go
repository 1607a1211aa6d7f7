package generate

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckptmeta/ckptmeta/internal/ckpt"
	"github.com/ckptmeta/ckptmeta/internal/testenv"
)

// The Hydra layouts the original project's runs wrote (reference §7), one run each under
// testdata/hydra/outputs: the configs are written like the real ones (full .hydra/config.yaml,
// hydra.yaml and overrides.yaml), the checkpoints by torch.save (make_fixtures.py) with no
// hyper_parameters, so every model fact below comes from the Hydra files.
var hydraLayouts = []struct {
	name, ckpt string
	model      Model
	warnings   []string // substrings that must appear among the warnings
	noWarning  []string // substrings that must not
	maxEpochs  *int64
	expName    string
}{
	{
		// model.architecture is a mapping of backbone/decoder/head; the loss sits beside it; the
		// top-level models: block holds presets the run did not use.
		name: "sept 2025: model.architecture.{backbone,decoder,head}",
		ckpt: "ocr_training_gpu/checkpoints/epoch=0-step=100.ckpt",
		model: Model{
			Architecture: "dbnet",
			Encoder:      &Encoder{ModelName: "db_resnet18", Pretrained: boolp(false)},
			Decoder:      &Decoder{Name: "dbunet", InChannels: []int64{64, 128, 256, 512}, OutputChannels: i64(256), Params: map[string]any{}},
			Head:         &Head{Name: "dbhead", InChannels: i64(256), Params: map[string]any{"k": int64(50)}},
			Loss:         &Loss{Name: "dbloss", Params: map[string]any{"alpha": 1.0, "beta": 10.0, "negative_ratio": 3.0}},
		},
		warnings: []string{
			`model.architecture "dbnet" comes from the class name in model._target_`,
			`model.loss: left out reduction "mean"`,
		},
		maxEpochs: i64(1),
		expName:   "ocr_training_gpu",
	},
	{
		// component_overrides entries without a name (head: {k: 50}, the loss weights) laid
		// over the presets, which name the class by _target_ and carry in_channels.
		name: "oct 2025: nameless component_overrides merged over the presets",
		ckpt: "decoder_benchmark/checkpoints/epoch-02_step-000300.ckpt",
		model: Model{
			Architecture: "dbnet",
			Encoder:      &Encoder{ModelName: "resnet18", Pretrained: boolp(true)},
			Decoder: &Decoder{Name: "unet", InChannels: []int64{64, 128, 256, 512}, InnerChannels: i64(256), OutputChannels: i64(256),
				Params: map[string]any{"bias": false}},
			Head: &Head{Name: "dbhead", InChannels: i64(256), Params: map[string]any{"k": int64(50), "upscale": int64(4), "bias": false, "smooth": false}},
			Loss: &Loss{Name: "dbloss", Params: map[string]any{"negative_ratio": 3.0, "eps": 1e-06, "prob_map_loss_weight": 5.0,
				"thresh_map_loss_weight": 10.0, "binary_map_loss_weight": 1.0}},
		},
		warnings: []string{
			"model.decoder: left out strides (a list)",
			"model.head: left out postprocess (a mapping)",
		},
		noWarning: []string{"comes from the class name"},
		maxEpochs: i64(3),
		expName:   "decoder_benchmark",
	},
	{
		// No architecture key at all: the preset is named by the model/architectures=dbnet
		// task override in hydra.yaml, and beats the model class (OCRModel).
		name: "v5 2026: only _target_s, the preset from hydra.yaml",
		ckpt: "det_resnet50_v1/20260120_101500_42/checkpoints/epoch-03_step-000400.ckpt",
		model: Model{
			Architecture: "dbnet",
			Encoder:      &Encoder{ModelName: "resnet50", Pretrained: boolp(true)},
			Decoder:      &Decoder{Name: "fpndecoder", InChannels: []int64{256, 512, 1024, 2048}, InnerChannels: i64(256), OutputChannels: i64(256), Params: map[string]any{}},
			Head:         &Head{Name: "dbhead", InChannels: i64(256), Params: map[string]any{"upscale": int64(4), "binarization_threshold": 0.3, "expand_ratio": 1.5}},
			Loss:         &Loss{Name: "dbloss", Params: map[string]any{"alpha": 1.0, "beta": 10.0, "ohem_ratio": 3.0}},
		},
		noWarning: []string{"comes from the class name", "ocrmodel"},
		maxEpochs: i64(100),
	},
}

func TestHydraLayouts(t *testing.T) {
	for _, tt := range hydraLayouts {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join("testdata", "hydra", "outputs", filepath.FromSlash(tt.ckpt))
			r, err := ckpt.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			f, err := Extract(r, path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			eq(t, "model", f.Model, tt.model)
			for _, part := range []string{"architecture", "encoder", "decoder", "head", "loss"} {
				eq(t, "source of model."+part, f.Sources["model."+part], SourceHydra)
			}
			eq(t, "max_epochs", f.MaxEpochs, tt.maxEpochs)
			if tt.expName != "" {
				eq(t, "exp_name", f.ExpName, tt.expName)
			}
			eq(t, "monitor (checkpoint)", f.Checkpointing.Monitor, "val/hmean")
			all := strings.Join(f.Warnings, "\n")
			for _, w := range tt.warnings {
				if !strings.Contains(all, w) {
					t.Errorf("no warning containing %q in:\n%s", w, all)
				}
			}
			for _, w := range tt.noWarning {
				if strings.Contains(all, w) {
					t.Errorf("a warning contains %q:\n%s", w, all)
				}
			}
		})
	}
}

// TestHydraLayoutsMatchSources writes the layouts' 1.0 sidecars and has the independent
// Python checker (OmegaConf for the configs, pickle for the checkpoints) and the strict
// model agree with them.
func TestHydraLayoutsMatchSources(t *testing.T) {
	py := testenv.Python(t, "yaml", "pydantic", "omegaconf", "numpy")
	root := copyTree(t, filepath.Join("testdata", "hydra", "outputs"))
	var files []string
	for _, tt := range hydraLayouts {
		sc, err := Build(filepath.Join(root, filepath.FromSlash(tt.ckpt)), Options{Version: "1.0", Now: fixedNow})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(sc.Path, sc.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, sc.Path)
	}
	args := append([]string{filepath.Join("testdata", "check_sidecars.py"), root}, files...)
	if out, err := exec.Command(py, args...).CombinedOutput(); err != nil || strings.Contains(string(out), `"errors": ["`) {
		t.Errorf("sidecars disagree with their sources (%v):\n%s", err, out)
	}
}

func TestHydraPresetAndMerge(t *testing.T) {
	const targetsOnly = `
model:
  _target_: ocr.core.models.architecture.OCRModel
  head: {_target_: ocr.core.models.head.DBHead, in_channels: 256}
`
	hydraYAML := func(task, choices string) string {
		return "hydra:\n  overrides:\n    hydra:\n    - hydra.mode=RUN\n    task:" + task + "\n  runtime:\n    choices:" + choices + "\n"
	}
	step := map[string]any{"epoch": int64(1), "global_step": int64(10)}
	tests := []struct {
		name  string
		files map[string]string
		root  map[string]any
		check func(t *testing.T, f *Facts)
	}{
		{
			name: "preset from hydra.runtime.choices when no task override names it",
			files: map[string]string{
				"outputs/exp/.hydra/config.yaml": targetsOnly,
				"outputs/exp/.hydra/hydra.yaml":  hydraYAML(" []", "\n      model: default\n      model/architectures: dbnet_atomic"),
			},
			root:  step,
			check: func(t *testing.T, f *Facts) { eq(t, "architecture", f.Model.Architecture, "dbnet_atomic") },
		},
		{
			name: "the task override wins over choices; the last override wins",
			files: map[string]string{
				"outputs/exp/.hydra/config.yaml": targetsOnly,
				"outputs/exp/.hydra/hydra.yaml":  hydraYAML("\n    - model/architectures=craft\n    - ++model/architectures@model=dbnetpp", "\n      model/architectures: dbnet"),
			},
			root:  step,
			check: func(t *testing.T, f *Facts) { eq(t, "architecture", f.Model.Architecture, "dbnetpp") },
		},
		{
			name: "overrides.yaml when hydra.yaml is absent",
			files: map[string]string{
				"outputs/exp/.hydra/config.yaml":    targetsOnly,
				"outputs/exp/.hydra/overrides.yaml": "- trainer.max_epochs=3\n- +model/architectures=pan\n",
			},
			root:  step,
			check: func(t *testing.T, f *Facts) { eq(t, "architecture", f.Model.Architecture, "pan") },
		},
		{
			name: "no preset anywhere: the class name, with its warning",
			files: map[string]string{
				"outputs/exp/.hydra/config.yaml": targetsOnly,
				"outputs/exp/.hydra/hydra.yaml":  hydraYAML("\n    - model.architecture=${oc.env:X}", "\n      model: default"),
			},
			root: step,
			check: func(t *testing.T, f *Facts) {
				eq(t, "architecture", f.Model.Architecture, "ocrmodel")
				if !strings.Contains(strings.Join(f.Warnings, "\n"), "comes from the class name") {
					t.Errorf("no class-name warning: %q", f.Warnings)
				}
			},
		},
		{
			name: "an architecture key beats the preset",
			files: map[string]string{
				"outputs/exp/.hydra/config.yaml": "model: {architectures: pan, _target_: x.OCRModel}\n",
				"outputs/exp/.hydra/hydra.yaml":  hydraYAML("\n    - model/architectures=dbnet", ""),
			},
			root:  step,
			check: func(t *testing.T, f *Facts) { eq(t, "architecture", f.Model.Architecture, "pan") },
		},
		{
			name:  "a Hydra architecture key beats a class name guessed from hyper_parameters",
			files: map[string]string{"outputs/exp/.hydra/config.yaml": "model: {architecture_name: dbnetpp}\n"},
			root: map[string]any{"epoch": int64(1), "global_step": int64(10),
				"hyper_parameters": map[string]any{"model": map[string]any{"_target_": "ocr.models.OCRModel"}}},
			check: func(t *testing.T, f *Facts) {
				eq(t, "architecture", f.Model.Architecture, "dbnetpp")
				eq(t, "source", f.Sources["model.architecture"], SourceHydra)
			},
		},
		{
			name: "an override that names another part: its name, the preset's settings it does not override",
			files: map[string]string{"outputs/exp/.hydra/config.yaml": `
model:
  architectures: dbnet
  component_overrides:
    encoder: {name: resnet50}
    decoder: {_target_: ocr.models.decoder.PANDecoder, params: {inner_channels: 96}}
    head: {name: db_head, in_channels: 128}
  encoder: {_target_: x.TimmBackbone, model_name: resnet18, pretrained: false}
  decoder: {name: unet, in_channels: [64, 128], inner_channels: 256, output_channels: 256}
  head: {_target_: x.DBHead, in_channels: 256, k: 50}
`},
			root: step,
			check: func(t *testing.T, f *Facts) {
				eq(t, "encoder", f.Model.Encoder, &Encoder{ModelName: "resnet50", Pretrained: boolp(false)})
				eq(t, "decoder", f.Model.Decoder, &Decoder{Name: "pandecoder", InChannels: []int64{64, 128}, InnerChannels: i64(96), OutputChannels: i64(256), Params: map[string]any{}})
				eq(t, "head", f.Model.Head, &Head{Name: "db_head", InChannels: i64(128), Params: map[string]any{"k": int64(50)}})
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tree(t, tt.files)
			path := filepath.Join(dir, "outputs", "exp", "checkpoints", "last.ckpt")
			f, err := Extract(&ckpt.Reader{Root: tt.root}, path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, f)
		})
	}
}

// TestInterpolatedScalarString: a scalar interpolated into a string is spelled as OmegaConf
// spells it, str() of the Python value (checked with OmegaConf: "${a}-x" with a: 1234567.0
// is "1234567.0-x", with 1e-5 "1e-05-x", with true "True-x").
func TestInterpolatedScalarString(t *testing.T) {
	for v, want := range map[any]string{1234567.0: "1234567.0", 1e-5: "1e-05", 0.5: "0.5", 1e16: "1e+16", int64(3): "3", true: "True", "s": "s"} {
		if got, ok := scalarString(v); !ok || got != want {
			t.Errorf("scalarString(%v) = %q, %v; want %q", v, got, ok, want)
		}
	}
}
