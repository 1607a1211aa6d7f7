package validate

import (
	"context"
	"testing"
	"time"
)

// The results cache over 10,000 sidecars: a run without it, a cold run (empty cache: every
// file read, checked and recorded) and a warm one (nothing changed: one stat per file).
// Compare with BenchmarkRun10k (the same tree, no cache).

func runCached(b *testing.B, dir string, c *Cache) {
	b.Helper()
	v := New(nil, Options{Cache: c})
	var s Summary
	if err := v.Run(context.Background(), []string{dir}, func(r *Result) { s.Add(r) }); err != nil {
		b.Fatal(err)
	}
	if s.Files != 10000 || s.Invalid != 100 {
		b.Fatalf("summary %+v", s)
	}
	if err := c.Err(); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkRun10kCacheCold(b *testing.B) {
	dir := makeTree(b, 10000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		c, err := OpenCache(b.TempDir(), 0)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		runCached(b, dir, c)
	}
}

func BenchmarkRun10kCacheWarm(b *testing.B) {
	made := time.Now()
	dir := makeTree(b, 10000)
	c, err := OpenCache(b.TempDir(), 0)
	if err != nil {
		b.Fatal(err)
	}
	runCached(b, dir, c) // cold: files this young are recorded as racy
	// Past the racy window, one more run confirms them by content and records them clean.
	time.Sleep(time.Until(made.Add(racyWindowForTest + 100*time.Millisecond)))
	runCached(b, dir, c)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runCached(b, dir, c)
	}
}
