package watch

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// A path written many times is one entry, looked at once it has been quiet for the debounce.
func TestQueueDebounce(t *testing.T) {
	q := newQueue(10)
	quiet := ms(100)
	for i := 0; i < 1000; i++ { // a writer's Write events, 50 µs apart
		q.touch("a.ckpt", kindCheckpoint, t0.Add(time.Duration(i)*50*time.Microsecond), quiet)
	}
	last := t0.Add(999 * 50 * time.Microsecond)
	if q.len() != 1 {
		t.Fatalf("1000 events on one path hold %d entries, want 1", q.len())
	}
	if got, _ := q.take(last.Add(ms(99))); len(got) != 0 {
		t.Fatalf("taken %v before the path was quiet for %v", got, quiet)
	}
	next, ok := q.next()
	if !ok || !next.Equal(last.Add(quiet)) {
		t.Fatalf("next = %v, %v; want %v", next, ok, last.Add(quiet))
	}
	got, ps := q.take(last.Add(quiet))
	if !reflect.DeepEqual(got, []string{"a.ckpt"}) || ps[0].kind != kindCheckpoint || !ps[0].seen.Equal(last) {
		t.Fatalf("take = %v %+v", got, ps)
	}
	if _, ok := q.next(); ok || q.len() != 0 {
		t.Fatal("the queue is not empty after taking its only path")
	}
}

// Whatever the event rate, the set holds at most max paths; past that it says overflow
// (the watcher rescans) instead of growing.
func TestQueueBound(t *testing.T) {
	q := newQueue(100)
	for i := 0; i < 100_000; i++ {
		q.touch(fmt.Sprintf("p%06d.ckpt", i%5000), kindCheckpoint, t0, ms(100))
	}
	if q.len() != 100 || !q.overflow {
		t.Fatalf("len %d overflow %v; want 100 and true", q.len(), q.overflow)
	}
	q.reset()
	if q.len() != 0 || q.overflow {
		t.Fatal("reset left entries or overflow")
	}
	// Paths already held are still updated when the set is full.
	q = newQueue(1)
	q.touch("a", kindCheckpoint, t0, ms(100))
	q.touch("a", kindCheckpoint, t0.Add(ms(50)), ms(100))
	if q.overflow {
		t.Fatal("an event on a held path counted as overflow")
	}
}

// An incomplete checkpoint is retried with a doubling back-off, capped; an event on it
// meanwhile wins over the back-off.
func TestQueueRetryBackoff(t *testing.T) {
	q := newQueue(10)
	quiet, cap := ms(100), ms(2000)
	q.touch("a", kindCheckpoint, t0, quiet)
	now := t0.Add(quiet)
	var delays []time.Duration
	for i := 0; i < 7; i++ {
		_, ps := q.take(now)
		if len(ps) != 1 {
			t.Fatalf("try %d: nothing due at %v", i, now)
		}
		q.retry("a", ps[0], now, quiet, cap)
		next, _ := q.next()
		delays = append(delays, next.Sub(now))
		now = next
	}
	want := []time.Duration{ms(200), ms(400), ms(800), ms(1600), ms(2000), ms(2000), ms(2000)}
	if !reflect.DeepEqual(delays, want) {
		t.Fatalf("back-off %v, want %v", delays, want)
	}
	// A new write while it waits: debounce again from that event, tries reset.
	_, ps := q.take(now)
	q.touch("a", kindCheckpoint, now.Add(ms(10)), quiet)
	q.retry("a", ps[0], now.Add(ms(20)), quiet, cap) // the handler's retry arrives late: the event wins
	next, _ := q.next()
	if !next.Equal(now.Add(ms(110))) {
		t.Fatalf("after a new event next = +%v, want +110ms", next.Sub(now))
	}
	_, ps = q.take(next)
	if ps[0].tries != 0 {
		t.Fatalf("tries %d after a new event, want 0", ps[0].tries)
	}
}

// take returns due paths sorted, and leaves the others.
func TestQueueTakeOrder(t *testing.T) {
	q := newQueue(10)
	q.touch("c", kindCheckpoint, t0, ms(10))
	q.touch("a", kindSidecar, t0, ms(10))
	q.touch("b", kindCheckpoint, t0, ms(500))
	q.touch("d", kindGone, t0, 0)
	got, ps := q.take(t0.Add(ms(10)))
	if !reflect.DeepEqual(got, []string{"a", "c", "d"}) || ps[0].kind != kindSidecar || ps[2].kind != kindGone {
		t.Fatalf("take = %v %+v", got, ps)
	}
	if q.len() != 1 {
		t.Fatalf("%d left, want 1", q.len())
	}
}
