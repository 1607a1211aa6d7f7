package catalog

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"
)

var (
	benchOnce sync.Once
	benchDir  string
	benchErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

// benchTree is 10,000 checkpoints with a sidecar each (1.0, 1.1 and 2.0 mixed) over 40
// experiments, built once per process.
var epochRE = regexp.MustCompile(`epoch: \d+`)

func benchTree(b *testing.B) string {
	benchOnce.Do(func() {
		benchDir, benchErr = os.MkdirTemp("", "catalog-bench-")
		if benchErr != nil {
			return
		}
		docs := []string{readTestdata(b, "v1.0-seed.yaml"), readTestdata(b, "v1.1.yaml"), readTestdata(b, "v2.0.yaml")}
		for i := range 10000 {
			dir := filepath.Join(benchDir, "outputs", fmt.Sprintf("ocr_training-dbnet-pan_decoder-resnet%02d", i%40), "checkpoints")
			if i < 40 {
				if benchErr = os.MkdirAll(dir, 0o755); benchErr != nil {
					return
				}
			}
			name := filepath.Join(dir, fmt.Sprintf("epoch-%02d_step-%06d.ckpt", i/40, i*7))
			if benchErr = os.WriteFile(name, []byte(fakeCkpt), 0o644); benchErr != nil {
				return
			}
			// PyYAML writes no comments; vary the epoch so the documents differ.
			doc := epochRE.ReplaceAllString(docs[i%3], fmt.Sprintf("epoch: %d", i/40))
			// Each records its own checkpoint, or it would be sidecar/misplaced.
			rel, _ := filepath.Rel(benchDir, name)
			doc = recordAt(b, doc, filepath.ToSlash(rel))
			if benchErr = os.WriteFile(name+".metadata.yaml", []byte(doc), 0o644); benchErr != nil {
				return
			}
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return filepath.Join(benchDir, "outputs")
}

func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}

func BenchmarkStatus10k(b *testing.B) {
	root := benchTree(b)
	b.ResetTimer()
	start := cpuTime()
	defer func() { reportCPU(b, start) }()
	for b.Loop() {
		c, err := Status(context.Background(), []string{root}, StatusOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if c.Total.Checkpoints != 10000 || c.Total.Invalid != 0 {
			b.Fatalf("unexpected totals %+v", c.Total)
		}
	}
}

func BenchmarkList10k(b *testing.B) {
	root := benchTree(b)
	b.ResetTimer()
	start := cpuTime()
	defer func() { reportCPU(b, start) }()
	for b.Loop() {
		es, err := List(context.Background(), []string{root}, ListOptions{Sort: "-hmean"})
		if err != nil {
			b.Fatal(err)
		}
		if len(es) != 10000 || es[0].Source != SourceSidecar {
			b.Fatalf("%d entries", len(es))
		}
	}
}
