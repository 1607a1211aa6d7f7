package fsutil

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestOpenRegular(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a.ckpt")
	if err := os.WriteFile(file, []byte("PK\x03\x04"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, info, err := OpenRegular(file)
	if err != nil {
		t.Fatal(err)
	}
	if info.Size() != 4 {
		t.Errorf("size = %d", info.Size())
	}
	f.Close()
	if _, _, err := OpenRegular(dir); !errors.Is(err, ErrNotRegular) {
		t.Errorf("directory: err = %v, want ErrNotRegular", err)
	}
	if _, _, err := OpenRegular(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing: err = %v, want ErrNotExist", err)
	}
}
