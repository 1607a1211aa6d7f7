package fsutil

import (
	"os"
	"path/filepath"
	"sync"
)

// WriteFile writes data to a temp file beside target ("." + name + digits), fsyncs it,
// renames it over target and fsyncs the directory: a crash leaves target old or new, never
// partial, and the new content is on disk when WriteFile returns. The directory fsync is
// shared by the writers in flight in the same directory (see [groupSync]).
func WriteFile(target string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(target)
	tmp, err := writeTemp(dir, filepath.Base(target), data, perm)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, target); err != nil {
		os.Remove(tmp)
		return err
	}
	return dirSyncs.sync(dir)
}

// writeTemp writes data durably to a new temp file in dir named "." + base + digits and
// returns its path; on error nothing is left behind.
func writeTemp(dir, base string, data []byte, perm os.FileMode) (_ string, err error) {
	f, err := os.CreateTemp(dir, "."+base+"*")
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = f.Chmod(perm); err != nil {
		return "", err
	}
	if _, err = f.Write(data); err != nil {
		return "", err
	}
	if err = f.Sync(); err != nil {
		return "", err
	}
	return f.Name(), f.Close()
}

// dirSyncs batches the directory fsyncs of the process's writers, per directory.
var dirSyncs = &dirSyncer{groups: map[string]*groupSync{}}

type dirSyncer struct {
	mu     sync.Mutex
	groups map[string]*groupSync
}

// sync returns once an fsync of dir that began after the call has finished.
func (d *dirSyncer) sync(dir string) error {
	d.mu.Lock()
	g := d.groups[dir]
	if g == nil {
		g = &groupSync{}
		d.groups[dir] = g
	}
	g.users++
	d.mu.Unlock()
	err := g.wait(func() error {
		f, err := os.Open(dir)
		if err != nil {
			return err
		}
		defer f.Close()
		return syncDir(f)
	})
	d.mu.Lock()
	if g.users--; g.users == 0 {
		delete(d.groups, dir) // the map holds only directories being written now
	}
	d.mu.Unlock()
	return err
}

// groupSync runs one sync for all waiters that arrived before it started.
type groupSync struct {
	users int // guarded by dirSyncer.mu

	mu      sync.Mutex
	cond    *sync.Cond
	started uint64 // syncs begun
	done    uint64 // the last sync finished
	running bool
	err     error
}

// wait returns once a sync that began after the call has finished; the waiter that finds
// none running starts one with its own run function.
func (g *groupSync) wait(run func() error) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cond == nil {
		g.cond = sync.NewCond(&g.mu)
	}
	// A sync already running may have started before our rename: we need the next.
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
		err := run()
		g.mu.Lock()
		g.running, g.done, g.err = false, gen, err
		g.cond.Broadcast()
	}
	return g.err
}

// CreateNew creates path holding data, durably, unless path exists ([fs.ErrExist]): the data
// goes to a temp file beside it first, which is then hard-linked to path, so a crash leaves
// either no file or a whole one and an existing file (or link) is never replaced.
func CreateNew(path string, data []byte, perm os.FileMode) (err error) {
	dir := filepath.Dir(path)
	tmp, err := writeTemp(dir, filepath.Base(path), data, perm)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		return err
	}
	return dirSyncs.sync(dir)
}
