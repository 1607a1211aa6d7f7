package ckpt

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReader feeds arbitrary bytes to NewReader, seeded with every file of
// testdata/ckpt. It must never panic, hang or exhaust memory, and every
// failure must be one of the package's typed errors.
func FuzzReader(f *testing.F) {
	err := filepath.WalkDir(fixtures, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) == ".py" || filepath.Ext(p) == ".md" {
			return err
		}
		b, err := os.ReadFile(p)
		if err == nil {
			f.Add(b)
		}
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), int64(len(data)), "fuzz.ckpt")
		if err != nil {
			if r != nil {
				t.Fatalf("reader returned with error %v", err)
			}
			if !errors.Is(err, ErrFormat) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		if r.BytesRead > int64(len(data))+int64(64<<10)+maxScalarReads*64 {
			t.Fatalf("BytesRead %d for %d bytes of input", r.BytesRead, len(data))
		}
		s := Summarize(r)
		if _, err := json.Marshal(s); err != nil {
			t.Fatalf("summary does not marshal: %v", err)
		}
		var buf bytes.Buffer
		if err := s.WriteText(&buf); err != nil {
			t.Fatal(err)
		}
	})
}
