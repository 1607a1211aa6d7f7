// Package ordered runs independent work on a bounded pool of goroutines and hands the
// results back in input order, so a command's output is deterministic whatever the
// scheduling. validate, generate and migrate all need exactly this; it lives here, below
// all of them.
//
// It promises: work runs on at most workers goroutines; yield is called on the caller's
// goroutine, once per item, in the order the items were produced; at most window results
// wait for yield, so memory stays flat however many items there are or however slow yield
// is; with a byte budget (StreamWeighted, MapWeighted), the items in flight — admitted
// and not yet yielded — weigh at most the budget together (an item heavier than the whole
// budget runs alone), so memory stays bounded however large the items are. It does not
// recover panics or watch a context: work and produce decide that.
package ordered

import (
	"runtime"
	"sync"
)

// Stream calls produce once, on its own goroutine; every item it emits is handed to work
// on one of at most workers goroutines (0 = GOMAXPROCS), and yield receives the results in
// emission order. window bounds the results waiting for yield (at least workers).
func Stream[In, Out any](workers, window int, produce func(emit func(In)), work func(In) Out, yield func(Out)) {
	StreamWeighted(workers, window, 0, nil, produce, work, yield)
}

// StreamWeighted is Stream that also admits items by weight (bytes, say): an item is
// handed to work only once the weights of the items in flight (admitted, result not yet
// yielded) plus its own fit in budget, or once nothing else is in flight. budget <= 0 or
// a nil weight admits by count only.
func StreamWeighted[In, Out any](workers, window int, budget int64, weight func(In) int64, produce func(emit func(In)), work func(In) Out, yield func(Out)) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	window = max(window, workers)
	type job struct {
		in  In
		out chan Out
	}
	type pending struct {
		out    chan Out
		weight int64
	}
	jobs := make(chan job)
	order := make(chan pending, window)
	adm := admission{budget: budget}
	adm.cond.L = &adm.mu
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				j.out <- work(j.in) // buffered: a worker never waits for yield
			}
		})
	}
	go func() {
		defer close(order)
		defer close(jobs)
		produce(func(in In) {
			var w int64
			if budget > 0 && weight != nil {
				w = max(weight(in), 0)
				adm.acquire(w) // blocks while the items in flight weigh too much
			}
			out := make(chan Out, 1)
			order <- pending{out, w} // blocks while window results wait: the bound on count
			jobs <- job{in, out}
		})
	}()
	for p := range order {
		yield(<-p.out)
		adm.release(p.weight)
	}
	wg.Wait()
}

// admission is a counting semaphore over weights.
type admission struct {
	mu       sync.Mutex
	cond     sync.Cond
	budget   int64
	inFlight int64
}

func (a *admission) acquire(w int64) {
	if w == 0 {
		return
	}
	a.mu.Lock()
	for a.inFlight > 0 && a.inFlight+w > a.budget {
		a.cond.Wait()
	}
	a.inFlight += w
	a.mu.Unlock()
}

func (a *admission) release(w int64) {
	if w == 0 {
		return
	}
	a.mu.Lock()
	a.inFlight -= w
	a.mu.Unlock()
	a.cond.Broadcast()
}

// Map is Stream over the indexes 0..n-1.
func Map[Out any](n, workers, window int, work func(i int) Out, yield func(i int, r Out)) {
	MapWeighted(n, workers, window, 0, nil, work, yield)
}

// MapWeighted is StreamWeighted over the indexes 0..n-1.
func MapWeighted[Out any](n, workers, window int, budget int64, weight func(i int) int64, work func(i int) Out, yield func(i int, r Out)) {
	i := 0
	StreamWeighted(min(max(workers, 0), max(n, 1)), window, budget, weight,
		func(emit func(int)) {
			for k := range n {
				emit(k)
			}
		},
		work,
		func(r Out) { yield(i, r); i++ })
}
