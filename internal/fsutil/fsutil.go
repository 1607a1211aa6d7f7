package fsutil

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
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

// ErrNotRegular is returned for a path that is not a regular file (a FIFO, a device): reading
// it could block forever.
var ErrNotRegular = errors.New("not a regular file")

// ReadFile reads a sidecar (or any small file the tools read beside one) without ever
// blocking: it refuses what is not a regular file, FIFOs included, and reads at most max+1
// bytes, so the caller can tell a file is larger than max. Errors are *fs.PathError.
func ReadFile(name string, max int64) ([]byte, error) {
	// Raw syscalls: O_NONBLOCK keeps a FIFO from blocking the open, and os.File would then
	// try to register the descriptor with the network poller on every file. The size from
	// fstat lets one read usually do.
	fd, err := syscall.Open(name, syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return nil, &fs.PathError{Op: "read", Path: name, Err: ErrNotRegular}
	}
	limit := max + 1
	buf := make([]byte, 0, min(st.Size+1, limit))
	for int64(len(buf)) < limit {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // the file grew since fstat
		}
		n, err := syscall.Read(fd, buf[len(buf):min(int64(cap(buf)), limit)])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: name, Err: err}
		}
		if n == 0 {
			break
		}
		buf = buf[:len(buf)+n]
	}
	return buf, nil
}
