package fsutil

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestGroupSyncCoversEveryWrite: each waiter returns only after a sync that started after its
// write, and concurrent waiters share syncs.
func TestGroupSyncCoversEveryWrite(t *testing.T) {
	var written, flushed atomic.Int64 // writes done; writes a finished sync covers
	var syncs atomic.Int64
	g := &groupSync{}
	run := func() error {
		covered := written.Load() // what is on "disk" when the sync starts
		time.Sleep(2 * time.Millisecond)
		flushed.Store(covered)
		syncs.Add(1)
		return nil
	}
	const writers = 200
	var wg sync.WaitGroup
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := written.Add(1)
			if err := g.wait(run); err != nil {
				t.Error(err)
			}
			if got := flushed.Load(); got < mine {
				t.Errorf("wait returned with writes up to %d flushed, but write %d was not", got, mine)
			}
		}()
	}
	wg.Wait()
	if n := syncs.Load(); n == 0 || n >= writers {
		t.Errorf("%d syncs for %d concurrent writers; want them shared", n, writers)
	}
}
