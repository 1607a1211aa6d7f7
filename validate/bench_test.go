package validate

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// makeTree writes n sidecars (1% invalid) with their checkpoints, as the peer comparison does.
func makeTree(b *testing.B, n int) string {
	b.Helper()
	dir := b.TempDir()
	seed, err := os.ReadFile("../testdata/sidecars/valid/seed.ckpt.metadata.yaml")
	if err != nil {
		b.Fatal(err)
	}
	bad := []byte(strings.Replace(string(seed), "epoch: 18", "epoch: -18", 1))
	for i := 0; i < n; i++ {
		d := filepath.Join(dir, fmt.Sprintf("exp%03d", i/100), "checkpoints")
		if i%100 == 0 {
			os.MkdirAll(d, 0o755)
		}
		body := seed
		if i%100 == 99 {
			body = bad
		}
		name := filepath.Join(d, fmt.Sprintf("epoch-%02d_step-%06d.ckpt", i%100, i))
		// Each records its own checkpoint, or it would be sidecar/misplaced.
		rel, _ := filepath.Rel(dir, name)
		body = []byte(strings.Replace(string(body), seedCheckpoint, filepath.ToSlash(rel), 1))
		os.WriteFile(name+".metadata.yaml", body, 0o644)
		os.WriteFile(name, nil, 0o644)
	}
	return dir
}

const seedCheckpoint = "ocr_training-dbnet-pan_decoder-mobilenetv3_small_050_33/checkpoints/best.ckpt"

func BenchmarkRun10k(b *testing.B) {
	dir := makeTree(b, 10000)
	v := New(nil, Options{})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var s Summary
		if err := v.Run(context.Background(), []string{dir}, func(r *Result) { s.Add(r) }); err != nil {
			b.Fatal(err)
		}
		if s.Files != 10000 || s.Invalid != 100 {
			b.Fatalf("summary %+v", s)
		}
	}
}

func BenchmarkValidateBytes(b *testing.B) {
	seed, _ := os.ReadFile("../testdata/sidecars/valid/seed.ckpt.metadata.yaml")
	v := New(nil, Options{})
	b.ReportAllocs()
	b.SetBytes(int64(len(seed)))
	for i := 0; i < b.N; i++ {
		if r := v.ValidateBytes("x.yaml", seed); r.Status != StatusValid {
			b.Fatal(r.Findings)
		}
	}
}
