package generate

import (
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestSplitStateKey(t *testing.T) {
	tests := []struct {
		name      string
		key       string
		wantClass string
		want      map[string]any
	}{
		{
			name:      "lightning 2 ModelCheckpoint",
			key:       "ModelCheckpoint{'monitor': 'val/hmean', 'mode': 'max', 'every_n_train_steps': 0, 'every_n_epochs': 1, 'train_time_interval': None}",
			wantClass: "ModelCheckpoint",
			want:      map[string]any{"monitor": "val/hmean", "mode": "max", "every_n_train_steps": int64(0), "every_n_epochs": int64(1), "train_time_interval": nil},
		},
		{
			name:      "subclass with a timedelta",
			key:       "UniqueModelCheckpoint{'monitor': 'val/loss', 'mode': 'min', 'train_time_interval': datetime.timedelta(seconds=3600), 'every_n_epochs': 1}",
			wantClass: "UniqueModelCheckpoint",
			want:      map[string]any{"monitor": "val/loss", "mode": "min", "train_time_interval": pyCall{Text: "datetime.timedelta(seconds=3600)"}, "every_n_epochs": int64(1)},
		},
		{
			name:      "1.5-1.8 key with save_on_train_epoch_end and a double-quoted string",
			key:       `ModelCheckpoint{'monitor': "it's/hmean", 'mode': 'max', 'save_on_train_epoch_end': True, 'x': 1.5e-3, 'y': (1, [2, 'a'])}`,
			wantClass: "ModelCheckpoint",
			want:      map[string]any{"monitor": "it's/hmean", "mode": "max", "save_on_train_epoch_end": true, "x": 0.0015, "y": []any{int64(1), []any{int64(2), "a"}}},
		},
		{
			name:      "escapes",
			key:       `EarlyStopping{'monitor': 'a\'b\\c', 'mode': 'min'}`,
			wantClass: "EarlyStopping",
			want:      map[string]any{"monitor": `a'b\c`, "mode": "min"},
		},
		{
			name:      "pre-1.5 class key",
			key:       "lightning.pytorch.callbacks.model_checkpoint.ModelCheckpoint",
			wantClass: "lightning.pytorch.callbacks.model_checkpoint.ModelCheckpoint",
		},
		{
			name:      "truncated repr keeps what parsed",
			key:       "ModelCheckpoint{'monitor': 'val/hmean', 'mode': ",
			wantClass: "ModelCheckpoint",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			class, kw := splitStateKey(tt.key)
			if class != tt.wantClass {
				t.Errorf("class = %q, want %q", class, tt.wantClass)
			}
			if !reflect.DeepEqual(kw, tt.want) {
				t.Errorf("kwargs = %#v\nwant %#v", kw, tt.want)
			}
		})
	}
}

func FuzzSplitStateKey(f *testing.F) {
	for _, s := range []string{
		"ModelCheckpoint{'monitor': 'val/hmean', 'mode': 'max', 'every_n_train_steps': 0, 'every_n_epochs': 1, 'train_time_interval': None}",
		"UniqueModelCheckpoint{'monitor': 'val/hmean', 'train_time_interval': datetime.timedelta(seconds=3600)}",
		"X{'a': [1, (2, {'b': 'c'})], 'd': \"e\\x41\"}",
		"pytorch_lightning.callbacks.model_checkpoint.ModelCheckpoint",
		"{{{{[[[(((",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		class, kw := splitStateKey(key) // must not panic or loop
		if len(class) > len(key) {
			t.Fatalf("class %q longer than key", class)
		}
		_ = kw
	})
}

func TestParseName(t *testing.T) {
	i := func(v int64) *int64 { return &v }
	tests := []struct {
		name      string
		file      string
		epoch     *int64
		step      *int64
		metric    string
		metricVal float64
	}{
		{name: "lightning default", file: "epoch=10-step=1133.ckpt", epoch: i(10), step: i(1133)},
		{name: "unique checkpoint", file: "epoch-18_step-003895.ckpt", epoch: i(18), step: i(3895)},
		{name: "intermediate", file: "epoch_09_step_002730.ckpt", epoch: i(9), step: i(2730)},
		{name: "with metric", file: "epoch_28_step_023722_val_hmean_0.8534_20251009_015037.ckpt", epoch: i(28), step: i(23722), metric: "hmean", metricVal: 0.8534},
		{name: "f1 in lightning template", file: "epoch=28_val_f1=0.8534.ckpt", epoch: i(28), metric: "f1", metricVal: 0.8534},
		{name: "best with metric", file: "best-hmean-0.8920.ckpt", metric: "hmean", metricVal: 0.892},
		{name: "best", file: "best.ckpt"},
		{name: "best versioned", file: "best-v1.ckpt"},
		{name: "last", file: "last.ckpt"},
		{name: "last with timestamp", file: "last_20251011_004442.ckpt"},
		{name: "buggy doubled names", file: "resnet34_bs4_epoch_epoch=28_step_step=23722.ckpt", epoch: i(28), step: i(23722)},
		{name: "out of range metric ignored", file: "best-hmean-95.20.ckpt"},
		{name: "word containing epoch is not an epoch", file: "preepoch-5.ckpt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseName(tt.file)
			if !reflect.DeepEqual(got.Epoch, tt.epoch) {
				t.Errorf("epoch = %v, want %v", deref(got.Epoch), deref(tt.epoch))
			}
			if !reflect.DeepEqual(got.Step, tt.step) {
				t.Errorf("step = %v, want %v", deref(got.Step), deref(tt.step))
			}
			if got.Metric != tt.metric || got.Value != tt.metricVal {
				t.Errorf("metric = %q %v, want %q %v", got.Metric, got.Value, tt.metric, tt.metricVal)
			}
		})
	}
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestResolve(t *testing.T) {
	root := map[string]any{
		"exp_name": "ocr_training",
		"self":     "${self}",
		"a":        "${b}",
		"b":        "${a}",
		"n":        int64(25),
		"max":      "${n}",
		"paths": map[string]any{
			"output_dir":     "${hydra:runtime.output_dir}",
			"root":           "/data",
			"checkpoint_dir": "${paths.root}/runs/${exp_name}/checkpoints",
			"broken":         "${paths.output_dir}/checkpoints",
		},
		"env":      "${oc.env:EXPERIMENT_TAG,${exp_name}}",
		"rel":      "${.exp_name}",
		"missing":  "${global.paths.checkpoint_dir}",
		"required": "???",
		"escaped":  `\${exp_name}`,
		"chain":    "${max}",
		"model":    map[string]any{"decoder": map[string]any{"inner": "${n}", "target": "${decoder_path}.UNet"}},
		"list":     "${model.decoder}",
	}
	c := &config{src: SourceHydra, root: root}
	tests := []struct {
		name    string
		path    []string
		want    any
		wantWhy string // non-empty: unresolved with this reason
	}{
		{name: "plain", path: []string{"exp_name"}, want: "ocr_training"},
		{name: "whole value keeps its type", path: []string{"max"}, want: int64(25)},
		{name: "chained", path: []string{"chain"}, want: int64(25)},
		{name: "concatenation", path: []string{"paths", "checkpoint_dir"}, want: "/data/runs/ocr_training/checkpoints"},
		{name: "hydra resolver", path: []string{"paths", "output_dir"}, wantWhy: "resolver hydra: is only known at run time"},
		{name: "through a resolver", path: []string{"paths", "broken"}, wantWhy: "resolver hydra: is only known at run time"},
		{name: "oc.env with nested default", path: []string{"env"}, wantWhy: "resolver oc.env: is only known at run time"},
		{name: "self reference", path: []string{"self"}, wantWhy: "interpolation cycle through ${self}"},
		{name: "cycle", path: []string{"a"}, wantWhy: "interpolation cycle through ${a}"},
		{name: "undefined", path: []string{"missing"}, wantWhy: "${global.paths.checkpoint_dir} is not defined in this file"},
		{name: "relative", path: []string{"rel"}, wantWhy: "relative interpolation ${.exp_name}"},
		{name: "mandatory missing", path: []string{"required"}, wantWhy: "mandatory value missing (???)"},
		{name: "escaped", path: []string{"escaped"}, want: "${exp_name}"},
		{name: "a mapping is resolved inside", path: []string{"model", "decoder"}, want: map[string]any{
			"inner":  int64(25),
			"target": &unresolved{Raw: "${decoder_path}.UNet", Why: "${decoder_path} is not defined in this file"},
		}},
		{name: "reference to a mapping", path: []string{"list"}, want: map[string]any{
			"inner":  int64(25),
			"target": &unresolved{Raw: "${decoder_path}.UNet", Why: "${decoder_path} is not defined in this file"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := c.get(tt.path...)
			if !ok {
				t.Fatalf("get(%v) not found", tt.path)
			}
			if tt.wantWhy != "" {
				u, isU := got.(*unresolved)
				if !isU {
					t.Fatalf("got %#v, want unresolved (%s)", got, tt.wantWhy)
				}
				if u.Why != tt.wantWhy {
					t.Errorf("why = %q, want %q", u.Why, tt.wantWhy)
				}
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestTargetName(t *testing.T) {
	c := &config{root: map[string]any{"decoder_path": "ocr.models.decoder"}}
	for raw, want := range map[string]string{
		"ocr.models.architecture.OCRModel": "OCRModel",
		"${decoder_path}.UNet":             "UNet",
		"${head_path}.DBHead":              "DBHead",
		"${oc.env:X}":                      "",
		"OCRModel":                         "OCRModel",
	} {
		if got := targetName(c, raw); got != want {
			t.Errorf("targetName(%q) = %q, want %q", raw, got, want)
		}
	}
}

// TestConfigBombs: aliases and interpolations that multiply are cut off, not expanded.
func TestConfigBombs(t *testing.T) {
	laughs := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	for i, prev := 0, "a"; i < 9; i++ {
		name := string(rune('b' + i))
		laughs += name + ": &" + name + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n"
		prev = name
	}
	dir := tree(t, map[string]string{"config.yaml": laughs})
	if _, err := loadHydra(filepath.Join(dir, "config.yaml")); err == nil || !strings.Contains(err.Error(), "aliases are expanded") {
		t.Errorf("billion laughs: err = %v", err)
	}

	root := map[string]any{"l0": []any{"x", "x"}}
	for i := 1; i < 40; i++ {
		ref := fmt.Sprintf("${l%d}", i-1)
		root[fmt.Sprintf("l%d", i)] = []any{ref, ref}
	}
	root["s0"] = "xxxxxxxxxxxxxxxx"
	for i := 1; i < 40; i++ {
		ref := fmt.Sprintf("${s%d}", i-1)
		root[fmt.Sprintf("s%d", i)] = ref + ref
	}
	c := &config{src: SourceHydra, root: root}
	for _, key := range []string{"l39", "s39"} {
		v, _ := c.get(key)
		if _, ok := v.(*unresolved); !ok {
			t.Errorf("%s: fan-out was expanded (%T)", key, v)
		}
	}
}
