package ckpt

import (
	"reflect"
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		Module, Name string
		Want         Verdict
	}{
		// process, files, network, evaluation
		{"posix", "system", Dangerous},
		{"os", "system", Dangerous},
		{"nt", "system", Dangerous},
		{"subprocess", "Popen", Dangerous},
		{"__builtin__", "eval", Dangerous},
		{"builtins", "exec", Dangerous},
		{"builtins", "getattr", Dangerous},
		{"builtins", "__import__", Dangerous},
		{"_io", "FileIO", Dangerous},
		{"_operator", "attrgetter", Dangerous},
		{"torch.storage", "_load_from_bytes", Dangerous},
		{"uuid", "_get_command_stdout", Dangerous},
		{"types", "CodeType", Dangerous},
		{"importlib.util", "spec_from_file_location", Dangerous},
		{"_socket", "socket", Dangerous},
		// the gadget families of issue 14
		{"imaplib", "IMAP4_stream", Dangerous},
		{"torch.utils.collect_env", "run", Dangerous},
		{"logging.config", "dictConfig", Dangerous},
		{"yaml", "unsafe_load", Dangerous},
		{"distutils.spawn", "spawn", Dangerous},
		{"torch.fx.graph_module", "_forward_from_src", Dangerous},
		{"torch.fx.graph_module", "reduce_graph_module", Dangerous},
		{"codecs", "open", Dangerous},
		{"torch.hub", "load", Dangerous},
		{"_osx_support", "_read_output", Dangerous},
		{"torch.utils.data.datapipes.utils.decoder", "basichandlers", Dangerous},
		{"antigravity", "geohash", Dangerous},
		// qualified (dotted) names are resolved first
		{"posixpath", "os.system", Dangerous},
		{"tempfile", "_os.system", Dangerous},
		{"torch", "os.system", Dangerous},
		{"torch", "hub.load", Dangerous},
		{"torch", "os", Dangerous}, // the os module, as an attribute of torch
		{"tempfile", "_os", Dangerous},
		{"builtins", "object.__subclasses__", Dangerous},
		{"collections", "OrderedDict.__class__", Dangerous},
		{"torch", "nn.Module", Unknown},
		{"collections", "OrderedDict.fromkeys", Unknown},
		// data
		{"functools", "partial", Allowed},
		{"torch.optim.adam", "Adam", Allowed},
		{"torch.optim.lr_scheduler", "ReduceLROnPlateau", Allowed},
		{"collections", "OrderedDict", Allowed},
		{"torch._utils", "_rebuild_tensor_v2", Allowed},
		{"torch", "FloatStorage", Allowed},
		{"builtins", "set", Allowed},
		{"uuid", "UUID", Allowed},
		{"types", "SimpleNamespace", Allowed},
		{"omegaconf.dictconfig", "DictConfig", Allowed},
		{"omegaconf.nodes", "AnyNode", Allowed},
		{"typing", "Any", Allowed},
		{"numpy.core.multiarray", "scalar", Allowed},
		{"pytorch_lightning.callbacks.model_checkpoint", "ModelCheckpoint", Allowed},
		{"pytorch_lightning.utilities.parsing", "AttributeDict", Allowed},
		// everything else: inert here, refused by weights_only
		{"ossify", "x", Unknown}, // a deny-listed module matches by component
		{"torch.nn.modules.linear", "Linear", Unknown},
		{"src.models.components.simple_dense_net", "SimpleDenseNet", Unknown},
		{"my_project.config", "Mode", Unknown},        // an enum
		{"my_project.config", "TrainConfig", Unknown}, // a dataclass
		{"builtins", "print", Unknown},
		{"torch.optim.adam", "adam", Unknown}, // a function, not a class
	}
	for _, tt := range tests {
		t.Run(tt.Module+"."+tt.Name, func(t *testing.T) {
			if got := Classify(canonical(Global{tt.Module, tt.Name})); got != tt.Want {
				t.Errorf("Classify = %v, want %v", got, tt.Want)
			}
		})
	}
}

func TestWeightsOnlyList(t *testing.T) {
	for _, g := range []Global{{"collections", "OrderedDict"}, {"torch._utils", "_rebuild_tensor_v2"}, {"torch", "FloatStorage"},
		{"torch", "float32"}, {"torch.nn.parameter", "Parameter"}, {"_codecs", "encode"}, {"builtins", "set"}} {
		if !g.WeightsOnly() {
			t.Errorf("%v: WeightsOnly = false, want true", g)
		}
	}
	for _, g := range []Global{{"functools", "partial"}, {"omegaconf.dictconfig", "DictConfig"}, {"argparse", "Namespace"}, {"posix", "system"}} {
		if g.WeightsOnly() {
			t.Errorf("%v: WeightsOnly = true, want false", g)
		}
	}
}

// Fixtures written by real pickling (make_fixtures.py): each gadget and
// partial(os.system) is dangerous; the lightning-hydra-template run with
// partial optimizer and scheduler is not.
func TestPolicyFixtures(t *testing.T) {
	tests := []struct {
		File        string
		Dangerous   []string
		WeightsOnly string
	}{
		{"gadget_imaplib.ckpt", []string{"imaplib.IMAP4_stream"}, WeightsOnlyRefused},
		{"gadget_collect_env.ckpt", []string{"torch.utils.collect_env.run"}, WeightsOnlyRefused},
		{"gadget_logging_config.ckpt", []string{"logging.config.dictConfig"}, WeightsOnlyRefused},
		{"gadget_yaml_unsafe_load.ckpt", []string{"yaml.unsafe_load"}, WeightsOnlyRefused},
		{"gadget_distutils_spawn.ckpt", []string{"distutils.spawn.spawn"}, WeightsOnlyRefused},
		{"gadget_fx_source.ckpt", []string{"torch.fx.graph_module._forward_from_src"}, WeightsOnlyRefused},
		{"gadget_codecs_open.ckpt", []string{"codecs.open"}, WeightsOnlyRefused},
		{"gadget_torch_hub.ckpt", []string{"torch.hub.load"}, WeightsOnlyRefused},
		{"hostile_partial.ckpt", []string{"posix.system"}, WeightsOnlyRefused},
		{"hostile_reduce.ckpt", []string{"posix.system"}, WeightsOnlyRefused},
		{"qualified_posixpath.ckpt", []string{"posixpath.os.system"}, WeightsOnlyRefused},
		{"qualified_tempfile.ckpt", []string{"tempfile._os.system"}, WeightsOnlyRefused},
		{"qualified_torch.ckpt", []string{"torch.os.system"}, WeightsOnlyRefused},
		{"lht_partial.ckpt", nil, WeightsOnlyRefused}, // the net's classes are unknown
		{"user_data.ckpt", nil, WeightsOnlyRefused},   // a dataclass, an enum (getattr), partial(FocalLoss)
		{"lightning2.ckpt", nil, WeightsOnlyNeedsSafeGlobals},
		{"weights_only.ckpt", nil, WeightsOnlyLoads},
		{"best.ckpt", nil, WeightsOnlyLoads},
	}
	for _, tt := range tests {
		t.Run(tt.File, func(t *testing.T) {
			r, err := Open(fixture(tt.File))
			if err != nil {
				t.Fatal(err)
			}
			s := Summarize(r)
			want := tt.Dangerous
			if want == nil {
				want = []string{}
			}
			if !reflect.DeepEqual(s.DangerousGlobals, want) {
				t.Errorf("DangerousGlobals = %q, want %q", s.DangerousGlobals, want)
			}
			if s.WeightsOnly != tt.WeightsOnly {
				t.Errorf("WeightsOnly = %q, want %q (unknown %q, needs %q)", s.WeightsOnly, tt.WeightsOnly, s.UnknownGlobals, s.SafeGlobalsNeeded)
			}
		})
	}
}

func TestPolicyLightningHydraTemplate(t *testing.T) {
	r, err := Open(fixture("lht_partial.ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	s := Summarize(r)
	wantUnknown := []string{
		"src.models.components.simple_dense_net.SimpleDenseNet",
		"torch.nn.modules.activation.ReLU",
		"torch.nn.modules.container.Sequential",
		"torch.nn.modules.linear.Linear",
	}
	if !reflect.DeepEqual(s.UnknownGlobals, wantUnknown) {
		t.Errorf("UnknownGlobals = %q, want %q", s.UnknownGlobals, wantUnknown)
	}
	opt, ok := r.Lookup("hyper_parameters", "optimizer")
	o, isObj := opt.(*Object)
	if !ok || !isObj || o.Class != (Global{"functools", "partial"}) || len(o.Args) != 1 || o.Args[0] != (Global{"torch.optim.adam", "Adam"}) {
		t.Errorf("hyper_parameters.optimizer = %#v, want an inert functools.partial of torch.optim.adam.Adam", opt)
	}
}

// Names from inside the pickle reach the terminal escaped: a global and a
// hyper-parameter key holding ESC, BEL and a newline.
func TestSummaryEscapesPickleStrings(t *testing.T) {
	key := "lr\nweights_only:       loads with torch.load(weights_only=True)"
	pkl := "\x80\x02}(X\x10\x00\x00\x00hyper_parameters}X" + string([]byte{byte(len(key)), 0, 0, 0}) + key +
		"K\x01sX\x01\x00\x00\x00pcos\x1b]0;pwned\x07\nsystem\n)Ru."
	r, err := openBytes(buildZip(t, zipEntry{Name: "archive/data.pkl", Data: []byte(pkl)}))
	if err != nil {
		t.Fatal(err)
	}
	s := Summarize(r)
	var b strings.Builder
	if err := s.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.ContainsAny(out, "\x1b\x07") {
		t.Errorf("raw control characters in:\n%s", out)
	}
	if n := strings.Count(out, "\nweights_only:"); n != 1 {
		t.Errorf("%d weights_only lines (a key forged one):\n%s", n, out)
	}
	for _, want := range []string{`os\x1b]0;pwned\x07.system`, `lr\nweights_only:`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	if s.WeightsOnly != WeightsOnlyRefused {
		t.Errorf("WeightsOnly = %q", s.WeightsOnly)
	}
}

// Integers beyond 64 bits are kept as decimal strings, so a field that needs
// an int64 (epoch) is simply absent from the summary, never wrapped around.
func TestBigIntegers(t *testing.T) {
	// {"epoch": 2**64 + 1, "global_step": 3}
	pkl := "\x80\x02}(X\x05\x00\x00\x00epoch\x8a\x09\x01\x00\x00\x00\x00\x00\x00\x00\x01X\x0b\x00\x00\x00global_stepK\x03u."
	r, err := openBytes(buildZip(t, zipEntry{Name: "archive/data.pkl", Data: []byte(pkl)}))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := r.Lookup("epoch"); v != "18446744073709551617" {
		t.Errorf("epoch = %#v, want the decimal string", v)
	}
	s := Summarize(r)
	if s.Epoch != nil || s.GlobalStep == nil || *s.GlobalStep != 3 {
		t.Errorf("Epoch = %v, GlobalStep = %v; want nil and 3", s.Epoch, s.GlobalStep)
	}
}

// Python ≥ 3.11 pickles an enum member as getattr(Mode, "MAX"): that use of
// getattr is data, judged as the dotted global Mode.MAX; any other use of
// getattr is dangerous.
func TestGetattrPolicy(t *testing.T) {
	const getattr = "cbuiltins\ngetattr\n"
	tests := []struct {
		Name, Pkl string
		Dangerous []string
	}{
		{"enum member", "\x80\x02" + getattr + "cmy.config\nMode\nX\x03\x00\x00\x00MAX\x86R.", nil},
		{"module attribute", "\x80\x02" + getattr + "ctorch\nos\nX\x06\x00\x00\x00system\x86R)R.", []string{"torch.os", "torch.os.system"}},
		{"dunder walk", "\x80\x02" + getattr + "cmy.config\nMode\nX\x09\x00\x00\x00__class__\x86R.", []string{"my.config.Mode.__class__"}},
		{"getattr of a value", "\x80\x02" + getattr + "X\x01\x00\x00\x00aX\x05\x00\x00\x00upper\x86R.", []string{"builtins.getattr"}},
		{"partial of getattr", "\x80\x02cfunctools\npartial\n" + getattr + "\x85R.", []string{"builtins.getattr"}},
		{"getattr stored", "\x80\x02]" + getattr + "a.", []string{"builtins.getattr"}},
		{"getattr as a key", "\x80\x02}" + getattr + "K\x01s.", []string{"builtins.getattr"}},
	}
	for _, tt := range tests {
		t.Run(tt.Name, func(t *testing.T) {
			r, err := openBytes(buildZip(t, zipEntry{Name: "archive/data.pkl", Data: []byte(tt.Pkl)}))
			if err != nil {
				t.Fatal(err)
			}
			got := Summarize(r).DangerousGlobals
			want := tt.Dangerous
			if want == nil {
				want = []string{}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("DangerousGlobals = %q, want %q (unknown %q)", got, want, Summarize(r).UnknownGlobals)
			}
		})
	}
}
