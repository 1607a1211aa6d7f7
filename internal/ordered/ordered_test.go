package ordered

import (
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"
)

func TestMapOrderAndBounds(t *testing.T) {
	const n, workers, window = 500, 4, 8
	var running, peakRunning, waiting, peakWaiting atomic.Int64
	bump := func(c, peak *atomic.Int64, d int64) {
		v := c.Add(d)
		for p := peak.Load(); v > p && !peak.CompareAndSwap(p, v); p = peak.Load() {
		}
	}
	next := 0
	Map(n, workers, window, func(i int) int {
		bump(&running, &peakRunning, 1)
		time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond)
		bump(&running, &peakRunning, -1)
		bump(&waiting, &peakWaiting, 1)
		return i * i
	}, func(i int, r int) {
		waiting.Add(-1)
		if i != next || r != i*i {
			t.Fatalf("got item %d (result %d), want item %d", i, r, next)
		}
		next++
		if i%50 == 0 {
			time.Sleep(time.Millisecond) // a slow consumer must not let results pile up
		}
	})
	if next != n {
		t.Fatalf("yielded %d items, want %d", next, n)
	}
	if p := peakRunning.Load(); p > workers {
		t.Errorf("%d items ran at once, want at most %d", p, workers)
	}
	if p := peakWaiting.Load(); p > window+workers {
		t.Errorf("%d results waited at once, want at most window+workers = %d", p, window+workers)
	}
}

func TestMapEmpty(t *testing.T) {
	Map(0, 0, 0, func(int) int { t.Fatal("work called"); return 0 }, func(int, int) { t.Fatal("yield called") })
}

func TestStreamStopsWhenProducerStops(t *testing.T) {
	var got []string
	Stream(2, 2, func(emit func(string)) {
		for _, s := range []string{"a", "b", "c"} {
			emit(s)
		}
	}, func(s string) string { return s + s }, func(r string) { got = append(got, r) })
	if len(got) != 3 || got[0] != "aa" || got[2] != "cc" {
		t.Fatalf("got %v", got)
	}
}

// TestMapWeightedBoundsBytesInFlight: whatever the weights, the items admitted and not
// yet yielded weigh at most the budget together, except one item heavier than the whole
// budget, which then runs alone; order and completeness are kept.
func TestMapWeightedBoundsBytesInFlight(t *testing.T) {
	const n, workers, window, budget = 400, 8, 32, 100
	weights := make([]int64, n)
	for i := range weights {
		weights[i] = int64(rand.IntN(60))
		if i%50 == 7 {
			weights[i] = 250 // heavier than the budget
		}
	}
	var inFlight, peak, count atomic.Int64
	var heavyShared atomic.Bool
	next := 0
	MapWeighted(n, workers, window, budget, func(i int) int64 { return weights[i] }, func(i int) int {
		v := inFlight.Add(weights[i])
		count.Add(1)
		for p := peak.Load(); v > p && !peak.CompareAndSwap(p, v); p = peak.Load() {
		}
		if weights[i] > budget && v != weights[i] {
			heavyShared.Store(true)
		}
		time.Sleep(time.Duration(rand.IntN(300)) * time.Microsecond)
		return i
	}, func(i int, r int) {
		if i != next || r != i {
			t.Fatalf("got item %d, want %d", i, next)
		}
		next++
		inFlight.Add(-weights[i]) // released once yielded, as the pool does right after
		count.Add(-1)
	})
	if next != n {
		t.Fatalf("yielded %d of %d", next, n)
	}
	if p := peak.Load(); p > 250 || (p > budget && heavyShared.Load()) {
		t.Errorf("peak weight in flight %d (budget %d), a heavy item shared the budget: %v", p, budget, heavyShared.Load())
	}
	// Without the budget the same run holds far more: the test can tell.
	inFlight.Store(0)
	peak.Store(0)
	Map(n, workers, window, func(i int) int {
		v := inFlight.Add(weights[i])
		for p := peak.Load(); v > p && !peak.CompareAndSwap(p, v); p = peak.Load() {
		}
		time.Sleep(time.Duration(rand.IntN(300)) * time.Microsecond)
		return i
	}, func(i int, r int) { inFlight.Add(-weights[i]) })
	t.Logf("peak weight in flight without a budget: %d", peak.Load())
}
