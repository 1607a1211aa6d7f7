package pyyaml

import (
	"bytes"
	"os"
	"testing"

	"go.yaml.in/yaml/v3"
)

func benchSeed(b *testing.B) []byte {
	src, err := os.ReadFile(seedFile)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	return src
}

func BenchmarkFast(b *testing.B) {
	src := benchSeed(b)
	for b.Loop() {
		if _, ok := Parse(src); !ok {
			b.Fatal("seed refused")
		}
	}
}

func BenchmarkYAMLv3(b *testing.B) {
	src := benchSeed(b)
	for b.Loop() {
		var n yaml.Node
		if err := yaml.NewDecoder(bytes.NewReader(src)).Decode(&n); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFastArena is BenchmarkFast parsing into one reused arena, as validate's Run does.
func BenchmarkFastArena(b *testing.B) {
	src := benchSeed(b)
	var a Arena
	for b.Loop() {
		if _, ok := ParseIn(src, &a); !ok {
			b.Fatal("seed refused")
		}
	}
}
