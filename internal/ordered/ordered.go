// Package ordered runs independent work on a bounded pool of goroutines and hands the
// results back in input order, so a command's output is deterministic whatever the
// scheduling. validate, generate and migrate all need exactly this; it lives here, below
// all of them.
//
// It promises: work runs on at most workers goroutines; yield is called on the caller's
// goroutine, once per item, in the order the items were produced; at most window results
// wait for yield, so memory stays flat however many items there are or however slow yield
// is. It does not recover panics or watch a context: work and produce decide that.
package ordered

import (
	"runtime"
	"sync"
)

// Stream calls produce once, on its own goroutine; every item it emits is handed to work
// on one of at most workers goroutines (0 = GOMAXPROCS), and yield receives the results in
// emission order. window bounds the results waiting for yield (at least workers).
func Stream[In, Out any](workers, window int, produce func(emit func(In)), work func(In) Out, yield func(Out)) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	window = max(window, workers)
	type job struct {
		in  In
		out chan Out
	}
	jobs := make(chan job)
	order := make(chan chan Out, window)
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
			out := make(chan Out, 1)
			order <- out // blocks while window results wait: the bound on memory
			jobs <- job{in, out}
		})
	}()
	for out := range order {
		yield(<-out)
	}
	wg.Wait()
}

// Map is Stream over the indexes 0..n-1.
func Map[Out any](n, workers, window int, work func(i int) Out, yield func(i int, r Out)) {
	i := 0
	Stream(min(max(workers, 0), max(n, 1)), window,
		func(emit func(int)) {
			for k := range n {
				emit(k)
			}
		},
		work,
		func(r Out) { yield(i, r); i++ })
}
