package ckpt

import "testing"

func TestIsDangerous(t *testing.T) {
	tests := []struct {
		Module, Name string
		Want         bool
	}{
		{"posix", "system", true},
		{"os", "system", true},
		{"nt", "system", true},
		{"subprocess", "Popen", true},
		{"__builtin__", "eval", true},
		{"builtins", "exec", true},
		{"builtins", "getattr", true},
		{"_io", "FileIO", true},
		{"_operator", "attrgetter", true},
		{"functools", "partial", true},
		{"torch.storage", "_load_from_bytes", true},
		{"torch.hub", "load", true},
		{"uuid", "_get_command_stdout", true},
		{"types", "CodeType", true},
		{"importlib.util", "spec_from_file_location", true},
		{"collections", "OrderedDict", false},
		{"torch._utils", "_rebuild_tensor_v2", false},
		{"builtins", "set", false},
		{"uuid", "UUID", false},
		{"types", "SimpleNamespace", false},
		{"ossify", "x", false}, // prefix match is per module component
		{"pytorch_lightning.callbacks.model_checkpoint", "ModelCheckpoint", false},
		{"numpy.core.multiarray", "scalar", false},
	}
	for _, tt := range tests {
		t.Run(tt.Module+"."+tt.Name, func(t *testing.T) {
			if got := isDangerous(canonical(Global{tt.Module, tt.Name})); got != tt.Want {
				t.Errorf("isDangerous = %v, want %v", got, tt.Want)
			}
		})
	}
}

func TestCanonical(t *testing.T) {
	tests := []struct{ In, Want Global }{
		{Global{"pytorch_lightning.utilities.parsing", "AttributeDict"}, Global{"lightning.pytorch.utilities.parsing", "AttributeDict"}},
		{Global{"pytorch_lightning", "Trainer"}, Global{"lightning.pytorch", "Trainer"}},
		{Global{"__builtin__", "set"}, Global{"builtins", "set"}},
		{Global{"copy_reg", "_reconstructor"}, Global{"copyreg", "_reconstructor"}},
		{Global{"numpy._core.multiarray", "scalar"}, Global{"numpy.core.multiarray", "scalar"}},
		{Global{"pathlib._local", "PosixPath"}, Global{"pathlib", "PosixPath"}},
		{Global{"pytorch_lightning_extra", "X"}, Global{"pytorch_lightning_extra", "X"}},
	}
	for _, tt := range tests {
		if got := canonical(tt.In); got != tt.Want {
			t.Errorf("canonical(%v) = %v, want %v", tt.In, got, tt.Want)
		}
	}
}
