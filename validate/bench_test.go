package validate

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
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

// BenchmarkRunSpeedup runs the 10,000-sidecar tree with one worker and with GOMAXPROCS
// workers, alternately, and reports the files per second of each and their ratio: the
// speed-up the pool gets from all cores (issue 12). Each op is one run of each.
func BenchmarkRunSpeedup(b *testing.B) {
	const n = 10000
	dir := makeTree(b, n)
	procs := runtime.GOMAXPROCS(0)
	one, all := New(nil, Options{Jobs: 1}), New(nil, Options{Jobs: procs})
	run := func(v *Validator) time.Duration {
		start := time.Now()
		var s Summary
		if err := v.Run(context.Background(), []string{dir}, func(r *Result) { s.Add(r) }); err != nil {
			b.Fatal(err)
		}
		if s.Files != n || s.Invalid != n/100 {
			b.Fatalf("summary %+v", s)
		}
		return time.Since(start)
	}
	run(all) // the first run pays for the page cache and the schema's compilation
	b.ResetTimer()
	var t1, tn time.Duration
	for i := 0; i < b.N; i++ {
		t1 += run(one)
		tn += run(all)
	}
	b.ReportMetric(float64(n*b.N)/t1.Seconds(), "files/s-j1")
	b.ReportMetric(float64(n*b.N)/tn.Seconds(), fmt.Sprintf("files/s-j%d", procs))
	b.ReportMetric(t1.Seconds()/tn.Seconds(), "speedup")
}

// BenchmarkRun10kJobs1 is BenchmarkRun10k with one worker: the CPU of one file, walk and
// report included, without the scheduling of several (profile it with -cpuprofile).
func BenchmarkRun10kJobs1(b *testing.B) {
	dir := makeTree(b, 10000)
	v := New(nil, Options{Jobs: 1})
	b.ReportAllocs()
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
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(10000*b.N), "µs/file")
}
