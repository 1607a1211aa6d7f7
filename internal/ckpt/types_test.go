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

// TestKeyStringFloat: a float dict key is spelled as Python's str() spells it (issue 8:
// 1234567.0 came out as 1.234567e+06), through the one float repr in internal/pyyaml.
func TestKeyStringFloat(t *testing.T) {
	for f, want := range map[float64]string{1234567.0: "1234567.0", 0.5: "0.5", 1e16: "1e+16", 1e-5: "1e-05", 3: "3.0"} {
		if got := keyString(f, 0); got != want {
			t.Errorf("keyString(%v) = %q, want %q", f, got, want)
		}
	}
}
