package sidecar

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// WriteFile writes data to a temp file beside target ("." + name + digits, which [IsTemp]
// recognises, so a later run can remove what a killed one left), makes it durable, then
// renames it over target: a crash leaves target old or new, never partial. Durability is a group commit: instead of one fsync per
// file, every writer waits for one sync(2) that started after its data was written, so the
// files in flight share a flush. That keeps renameio's guarantee (the data is on disk before
// the rename) at a fraction of the cost on a large tree.
func WriteFile(target string, data []byte, perm os.FileMode) (err error) {
	f, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+"*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err = f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = flush.wait(); err != nil {
		return err
	}
	return os.Rename(tmp, target)
}

// flush is the process's group commit for replaceFile.
var flush = &groupSync{sync: func() error { syscall.Sync(); return nil }}

// groupSync runs one sync for all waiters that arrived before it started.
type groupSync struct {
	sync    func() error
	mu      sync.Mutex
	cond    *sync.Cond
	started uint64 // syncs begun
	done    uint64 // the last sync finished
	running bool
	err     error
}

// wait returns once a sync that began after the call has finished.
func (g *groupSync) wait() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cond == nil {
		g.cond = sync.NewCond(&g.mu)
	}
	// A sync already running may have started before our data was written: we need the next.
	want := g.started + 1
	for g.done < want {
		if g.running {
			g.cond.Wait()
			continue
		}
		g.running = true
		g.started++
		gen := g.started
		g.mu.Unlock()
		err := g.sync()
		g.mu.Lock()
		g.running, g.done, g.err = false, gen, err
		g.cond.Broadcast()
	}
	return g.err
}

// IsTemp recognises the temp file of a sidecar (or of its .bak backup) that an interrupted
// write left: "." + the name + decimal digits.
func IsTemp(name string) bool {
	if !strings.HasPrefix(name, ".") {
		return false
	}
	base := strings.TrimRight(name[1:], "0123456789")
	if len(base) == len(name)-1 || base == "" {
		return false
	}
	base = strings.TrimSuffix(base, ".bak")
	k, ok := Classify(base)
	return ok && k == KindSidecar
}
