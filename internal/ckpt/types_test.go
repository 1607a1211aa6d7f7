package ckpt

import "testing"

func TestCanonical(t *testing.T) {
	tests := []struct{ In, Want Global }{
		{Global{"pytorch_lightning.utilities.parsing", "AttributeDict"}, Global{"lightning.pytorch.utilities.parsing", "AttributeDict"}},
		{Global{"pytorch_lightning", "Trainer"}, Global{"lightning.pytorch", "Trainer"}},
		{Global{"__builtin__", "set"}, Global{"builtins", "set"}},
		{Global{"copy_reg", "_reconstructor"}, Global{"copyreg", "_reconstructor"}},
		{Global{"numpy._core.multiarray", "scalar"}, Global{"numpy.core.multiarray", "scalar"}},
		{Global{"pathlib._local", "PosixPath"}, Global{"pathlib", "PosixPath"}},
		{Global{"pytorch_lightning_extra", "X"}, Global{"pytorch_lightning_extra", "X"}},
		{Global{"__builtin__", "long"}, Global{"builtins", "int"}}, // Python's fix_imports
		{Global{"__builtin__", "reduce"}, Global{"functools", "reduce"}},
		{Global{"urllib2", "urlopen"}, Global{"urllib.request", "urlopen"}},
	}
	for _, tt := range tests {
		if got := canonical(tt.In); got != tt.Want {
			t.Errorf("canonical(%v) = %v, want %v", tt.In, got, tt.Want)
		}
	}
}
