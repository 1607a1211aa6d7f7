package fsutil

import (
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Errors of the writer, wrapped in *fs.PathError (Op "write", "backup" or "remove").
var (
	// ErrOutsideRoots: the file, or the file its symlink leads to, is not under any of the
	// paths the command was given. Nothing is written through such a link.
	ErrOutsideRoots = errors.New("outside the paths given")
	// ErrChanged: the file is no longer what the caller read (another program wrote,
	// replaced, created or removed it meanwhile). It is left as it is.
	ErrChanged = errors.New("changed during run")
	// ErrHardLinked: the file has other hard links. Replacing it would split them (the other
	// names would keep the old content) and writing in place is not atomic, so it is left
	// alone; break the link (cp, then mv) to let ckptmeta write it.
	ErrHardLinked = errors.New("has other hard links")
	// ErrExists: [Roots.Rename]'s new name is taken. The file there is never replaced.
	ErrExists = errors.New("the new name exists already")
)

// Snapshot is a file as a caller read it: its bytes and what identifies that state (size,
// mtime, device and inode). The writer replaces or removes a file only while it still
// matches. The bytes are compared too when the stamp could hide an edit: the mtime is within
// doubtWindow of the read (a write in the same clock tick keeps the mtime), or the platform
// gives no inode.
type Snapshot struct {
	Data   []byte
	st     stamp
	readAt time.Time
}

// doubtWindow covers the coarsest mtime granularity in use (FAT's 2 s; HFS+ has 1 s; ext4
// takes the kernel's coarse clock).
const doubtWindow = 2 * time.Second

// ReadSnapshot reads name like [ReadFile] and remembers what identifies its state.
func ReadSnapshot(name string, max int64) (*Snapshot, error) {
	data, st, err := readFile(name, max)
	if err != nil {
		return nil, err
	}
	return &Snapshot{Data: data, st: st, readAt: time.Now()}, nil
}

// Roots confines writes to the trees under the paths a command was given, and opens every
// file it writes relative to a directory handle (os.Root), so a directory swapped for a
// symlink during the run cannot redirect a write out of them. A Roots is safe for
// concurrent use.
type Roots struct {
	dirs  []rootDir
	syncs dirSyncer
	// locks serialise the writers of one file within the process (a symlinked sidecar and
	// its target reach the same file under two names): the second sees the first's result.
	locks [64]sync.Mutex
}

// lock takes the lock of the file real (striped by a hash of the name).
func (r *Roots) lock(real string) *sync.Mutex {
	h := fnv.New32a()
	h.Write([]byte(real))
	m := &r.locks[h.Sum32()%uint32(len(r.locks))]
	m.Lock()
	return m
}

type rootDir struct {
	real string // absolute, symlinks resolved
	root *os.Root
}

// OpenRoots opens the trees under paths: a directory is a root, and a file counts as its
// directory (its backup and temp files live there). Paths that cannot be opened are left
// out: nothing is discovered under them either.
func OpenRoots(paths []string) (*Roots, error) {
	r := &Roots{syncs: dirSyncer{groups: map[string]*groupSync{}}}
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			continue
		}
		if info, err := os.Stat(abs); err != nil {
			continue
		} else if !info.IsDir() {
			abs = filepath.Dir(abs)
		}
		real, err := filepath.EvalSymlinks(abs)
		if err != nil {
			continue
		}
		root, err := os.OpenRoot(real)
		if err != nil {
			continue
		}
		r.dirs = append(r.dirs, rootDir{real: real, root: root})
	}
	return r, nil
}

// Close releases the directory handles.
func (r *Roots) Close() error {
	var errs []error
	for _, d := range r.dirs {
		errs = append(errs, d.root.Close())
	}
	r.dirs = nil
	return errors.Join(errs...)
}

// target is where a write to a path lands: base in directory dir (relative to root).
type target struct {
	root    *rootDir
	dir     string // relative to root.real
	base    string
	real    string // absolute, for messages and as the directory-fsync key
	linked  bool   // the path is a symlink to real
	present bool   // something exists at real
}

// locate resolves path (following a symlink at its end when follow) and finds the root that
// holds the result.
func (r *Roots) locate(path string, follow bool) (*target, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	t := &target{}
	li, err := os.Lstat(abs)
	switch {
	case err == nil && follow && li.Mode()&fs.ModeSymlink != 0:
		real, err := filepath.EvalSymlinks(abs)
		if err != nil {
			return nil, fmt.Errorf("the symlink leads nowhere usable: %w", err)
		}
		t.real, t.linked, t.present = real, true, true
	case err == nil || errors.Is(err, fs.ErrNotExist):
		dir, err2 := filepath.EvalSymlinks(filepath.Dir(abs))
		if err2 != nil {
			return nil, err2
		}
		t.real, t.present = filepath.Join(dir, filepath.Base(abs)), err == nil
	default:
		return nil, err
	}
	var best *rootDir
	for i := range r.dirs {
		d := &r.dirs[i]
		if within(d.real, t.real) && (best == nil || len(d.real) > len(best.real)) {
			best = d
		}
	}
	if best == nil {
		return nil, fmt.Errorf("%w: it resolves to %s", ErrOutsideRoots, t.real)
	}
	rel, _ := filepath.Rel(best.real, t.real)
	t.root, t.dir, t.base = best, filepath.Dir(rel), filepath.Base(rel)
	return t, nil
}

// within reports whether p is strictly under dir (both absolute and clean).
func within(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// WriteOptions say how [Roots.WriteFile] replaces a file.
type WriteOptions struct {
	// Perm is a new file's mode (0 means 0644); an existing file keeps its mode, and its
	// owner and group where the process may set them (as root).
	Perm os.FileMode
	// Old is what the caller read from the path: the file is replaced only while it still
	// holds that ([ErrChanged] otherwise). Nil means the caller expects no file there: one
	// that appeared meanwhile is not replaced.
	Old *Snapshot
	// Backup keeps the replaced bytes (Old.Data) as path.bak, or the first of path.bak.1,
	// path.bak.2, … that does not exist: a backup is never replaced and never skipped.
	Backup bool
}

// Written says what [Roots.WriteFile] did.
type Written struct {
	Path   string // the file replaced: the path given, or the file its symlink leads to
	Backup string // the backup made ("" for none)
	Same   bool   // the file already held exactly the data (written by someone else meanwhile); nothing was done
}

// WriteFile replaces (or creates) the file at path with data, atomically and durably: the
// data goes to a temp file beside the file ("." + name + digits), which is fsynced, checked
// against o.Old, renamed over the file, and the directory fsynced. A symlink at path is
// followed when its target is inside the roots (the link stays; the file it names is
// replaced) and refused with [ErrOutsideRoots] when it is not. A file with other hard links
// is refused with [ErrHardLinked]. Errors are *fs.PathError naming path.
func (r *Roots) WriteFile(path string, data []byte, o WriteOptions) (Written, error) {
	w, err := r.writeFile(path, data, o)
	if err != nil {
		return w, &fs.PathError{Op: "write", Path: path, Err: err}
	}
	return w, nil
}

func (r *Roots) writeFile(path string, data []byte, o WriteOptions) (w Written, err error) {
	t, err := r.locate(path, true)
	if err != nil {
		return w, err
	}
	w.Path = t.real
	if testHookLocated != nil {
		testHookLocated()
	}
	d, err := t.root.root.OpenRoot(t.dir)
	if err != nil {
		return w, err
	}
	defer d.Close()

	// What is there now decides the mode and owner, and a file that already changed is
	// refused before any work.
	perm, owner := o.Perm, stamp{}
	if perm == 0 {
		perm = 0o644
	}
	cur, err := d.Lstat(t.base)
	switch {
	case err == nil:
		if err := precheck(cur, o.Old); err != nil {
			return w, alreadyWritten(d, t.base, data, &w, err)
		}
		perm, owner = cur.Mode().Perm(), stampOf(cur)
	case !errors.Is(err, fs.ErrNotExist):
		return w, err
	case o.Old != nil:
		return w, ErrChanged // it was read, and is gone since
	}

	tmp, err := writeTemp(d, t.base, data, perm, owner)
	if err != nil {
		return w, err
	}
	defer d.Remove(tmp) // fails harmlessly once renamed
	var bakTmp string
	if o.Backup && o.Old != nil {
		if bakTmp, err = writeTemp(d, t.base+".bak", o.Old.Data, perm, owner); err != nil {
			return w, fmt.Errorf("backup: %w", err)
		}
		defer d.Remove(bakTmp)
	}

	if err := r.commit(d, t, tmp, bakTmp, data, o.Old, &w); err != nil {
		return w, err
	}
	return w, r.syncs.sync(filepath.Dir(t.real), d)
}

// commit takes the last look at the file, as close to the rename as the backup allows, then
// links the backup and renames tmp over it, all under the file's lock.
func (r *Roots) commit(d *os.Root, t *target, tmp, bakTmp string, data []byte, old *Snapshot, w *Written) error {
	defer r.lock(t.real).Unlock()
	if err := unchanged(d, t.base, old); err != nil {
		return alreadyWritten(d, t.base, data, w, err)
	}
	if bakTmp != "" {
		name, err := linkNew(d, bakTmp, t.base+".bak")
		if err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		w.Backup = filepath.Join(filepath.Dir(t.real), name)
	}
	return d.Rename(tmp, t.base)
}

// testHookLocated runs between resolving a path and opening its directory (tests swap a
// directory for a symlink there).
var testHookLocated func()

// alreadyWritten turns err (the file changed) into success when the file now holds exactly
// data: another writer (or this run, through a second name) did the same write, and nothing
// is lost.
func alreadyWritten(d *os.Root, base string, data []byte, w *Written, err error) error {
	if !errors.Is(err, ErrChanged) {
		return err
	}
	if now, rerr := readIn(d, base, int64(len(data))); rerr == nil && bytes.Equal(now, data) {
		w.Same = true
		return nil
	}
	return err
}

// precheck refuses a file that is not the regular, singly linked file the caller read.
func precheck(cur fs.FileInfo, old *Snapshot) error {
	if old == nil {
		return ErrChanged // expected no file, and there is one
	}
	if !cur.Mode().IsRegular() {
		return ErrChanged
	}
	st := stampOf(cur)
	if st.nlink > 1 {
		return fmt.Errorf("%w (%d names)", ErrHardLinked, st.nlink)
	}
	if !old.st.same(st) {
		return ErrChanged
	}
	return nil
}

// unchanged checks base in d against old: absent when old is nil, else the same stamp and,
// when in doubt, the same bytes.
func unchanged(d *os.Root, base string, old *Snapshot) error {
	cur, err := d.Lstat(base)
	if old == nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		return ErrChanged
	}
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return ErrChanged
		}
		return err
	}
	if err := precheck(cur, old); err != nil {
		return err
	}
	st := stampOf(cur)
	if st.hasID && old.readAt.Sub(st.mtime) >= doubtWindow {
		return nil
	}
	now, err := readIn(d, base, int64(len(old.Data)))
	if err != nil {
		return err
	}
	// A snapshot cut at the reader's limit holds the file's first bytes only.
	if int64(len(old.Data)) < old.st.size && len(now) > len(old.Data) {
		now = now[:len(old.Data)]
	}
	if !bytes.Equal(now, old.Data) {
		return ErrChanged
	}
	return nil
}

// readIn reads at most max+1 bytes of a regular file in d without blocking on a FIFO.
func readIn(d *os.Root, name string, max int64) ([]byte, error) {
	f, err := d.OpenFile(name, os.O_RDONLY|openReadNonblock, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if info, err := f.Stat(); err != nil {
		return nil, err
	} else if !info.Mode().IsRegular() {
		return nil, ErrNotRegular
	}
	return io.ReadAll(io.LimitReader(f, max+1))
}

// writeTemp writes data durably to a new file in d named "." + base + digits, with perm and,
// where it can, owner's uid and gid; it returns the name. On error nothing is left behind.
func writeTemp(d *os.Root, base string, data []byte, perm os.FileMode, owner stamp) (_ string, err error) {
	f, name, err := createTemp(d, base, 0o600)
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			f.Close()
			d.Remove(name)
		}
	}()
	// Owner first: chown clears set-id bits, and nothing is readable before its mode is set.
	if err = keepOwner(f, owner); err != nil {
		return "", err
	}
	if err = f.Chmod(perm); err != nil {
		return "", err
	}
	if _, err = f.Write(data); err != nil {
		return "", err
	}
	if err = f.Sync(); err != nil {
		return "", err
	}
	return name, f.Close()
}

// createTemp creates "." + base + random digits in d, exclusively (never through a link).
func createTemp(d *os.Root, base string, perm os.FileMode) (*os.File, string, error) {
	for try := 0; ; try++ {
		name := "." + base + strconv.FormatUint(uint64(rand.Uint32()), 10)
		f, err := d.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if err == nil {
			return f, name, nil
		}
		if !errors.Is(err, fs.ErrExist) || try == 100 {
			return nil, "", err
		}
	}
}

// maxBackups bounds the backup chain a file may have: past it, a write that needs a backup fails.
const maxBackups = 10000

// linkNew links tmp to name, or to the first of name.1, name.2, … that does not exist, and
// returns the name used. A hard link never replaces: an existing backup stays whole.
func linkNew(d *os.Root, tmp, name string) (string, error) {
	for n := 0; n < maxBackups; n++ {
		try := name
		if n > 0 {
			try = name + "." + strconv.Itoa(n)
		}
		err := d.Link(tmp, try)
		if err == nil {
			return try, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", err
		}
	}
	return "", fmt.Errorf("%s: %d backups exist already", name, maxBackups)
}

// RemoveOptions say how [Roots.Remove] removes a file.
type RemoveOptions struct {
	Old    *Snapshot // what the caller read: the file is removed only while it still holds that
	Backup bool      // keep Old.Data as path.bak (or the next free .bak.N) first
}

// Remove removes the file at path if it still holds what o.Old says. A symlink is removed
// itself (the file it names keeps the data, so no backup is made); its directory must be
// inside the roots.
func (r *Roots) Remove(path string, o RemoveOptions) (Written, error) {
	w, err := r.remove(path, o)
	if err != nil {
		return w, &fs.PathError{Op: "remove", Path: path, Err: err}
	}
	return w, nil
}

func (r *Roots) remove(path string, o RemoveOptions) (w Written, err error) {
	t, err := r.locate(path, false)
	if err != nil {
		return w, err
	}
	w.Path = t.real
	defer r.lock(t.real).Unlock() // a removal writes nothing big: hold it throughout
	d, err := t.root.root.OpenRoot(t.dir)
	if err != nil {
		return w, err
	}
	defer d.Close()
	cur, err := d.Lstat(t.base)
	if err != nil {
		return w, err
	}
	if cur.Mode()&fs.ModeSymlink == 0 {
		if o.Old == nil {
			return w, errors.New("fsutil: Remove needs the snapshot the caller read")
		}
		if err := precheck(cur, o.Old); err != nil {
			return w, err
		}
		if o.Backup {
			bakTmp, err := writeTemp(d, t.base+".bak", o.Old.Data, cur.Mode().Perm(), stampOf(cur))
			if err != nil {
				return w, fmt.Errorf("backup: %w", err)
			}
			defer d.Remove(bakTmp)
			if err := unchanged(d, t.base, o.Old); err != nil {
				return w, err
			}
			name, err := linkNew(d, bakTmp, t.base+".bak")
			if err != nil {
				return w, fmt.Errorf("backup: %w", err)
			}
			w.Backup = filepath.Join(filepath.Dir(t.real), name)
		} else if err := unchanged(d, t.base, o.Old); err != nil {
			return w, err
		}
	}
	if err := d.Remove(t.base); err != nil {
		return w, err
	}
	return w, r.syncs.sync(filepath.Dir(t.real), d)
}

// RenameOptions say how [Roots.Rename] renames a file.
type RenameOptions struct {
	Old *Snapshot // what the caller read from the old name: the file is renamed only while it still holds that
}

// Rename gives the file at from the name to, in the same directory, without ever replacing
// a file at to ([ErrExists]) and only while from still holds what o.Old says ([ErrChanged]).
// The new name is made as a hard link to the file (link(2) never replaces: the check that
// to is free and the naming are one step), then the old name is removed and the directory
// fsynced: each name appears or goes whole, and a crash between the two steps leaves both
// names on the one file, never a lost or partial one. Only a regular, singly linked file is
// renamed (a symbolic link is refused with [ErrNotRegular]; other hard links with
// [ErrHardLinked]). On a file system without hard links it falls back to rename(2) after
// checking that to is free, which leaves a window of a few system calls in which a file
// created at to would be replaced. Errors are *fs.PathError (Op "rename") naming from.
func (r *Roots) Rename(from, to string, o RenameOptions) (Written, error) {
	w, err := r.rename(from, to, o)
	if err != nil {
		return w, &fs.PathError{Op: "rename", Path: from, Err: err}
	}
	return w, nil
}

func (r *Roots) rename(from, to string, o RenameOptions) (w Written, err error) {
	if o.Old == nil {
		return w, errors.New("fsutil: Rename needs the snapshot the caller read")
	}
	t, err := r.locate(from, false)
	if err != nil {
		return w, err
	}
	if filepath.Clean(filepath.Dir(from)) != filepath.Clean(filepath.Dir(to)) || filepath.Base(to) == filepath.Base(from) {
		return w, fmt.Errorf("fsutil: Rename only renames within one directory, to another name: %s", to)
	}
	newBase := filepath.Base(to)
	w.Path = filepath.Join(filepath.Dir(t.real), newBase)
	defer r.lock(t.real).Unlock()
	d, err := t.root.root.OpenRoot(t.dir)
	if err != nil {
		return w, err
	}
	defer d.Close()
	cur, err := d.Lstat(t.base)
	if err != nil {
		return w, err
	}
	if !cur.Mode().IsRegular() {
		return w, fmt.Errorf("%w: %s", ErrNotRegular, cur.Mode().Type())
	}
	if err := unchanged(d, t.base, o.Old); err != nil {
		return w, err
	}
	if _, err := d.Lstat(newBase); err == nil {
		return w, fmt.Errorf("%w: %s", ErrExists, to)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return w, err
	}
	if testHookBeforeLink != nil {
		testHookBeforeLink()
	}
	switch err := d.Link(t.base, newBase); {
	case err == nil:
		if err := d.Remove(t.base); err != nil {
			return w, err
		}
	case errors.Is(err, fs.ErrExist):
		return w, fmt.Errorf("%w: %s", ErrExists, to)
	default: // no hard links here (FAT, some network file systems): check, then rename
		if _, lerr := d.Lstat(newBase); !errors.Is(lerr, fs.ErrNotExist) {
			return w, fmt.Errorf("%w: %s", ErrExists, to)
		}
		if err := d.Rename(t.base, newBase); err != nil {
			return w, err
		}
	}
	return w, r.syncs.sync(filepath.Dir(t.real), d)
}

// testHookBeforeLink runs between Rename's check that the new name is free and the link
// (tests create the file there).
var testHookBeforeLink func()

// RemoveTemps removes, in each of dirs that lies inside the roots, the regular files whose
// names isTemp recognises: what a write interrupted by a crash or a kill left behind. A
// concurrent writer in the same directory loses its pending write (its rename fails and it
// reports an error); no file it was replacing is lost.
func (r *Roots) RemoveTemps(dirs []string, isTemp func(name string) bool) {
	done := map[string]bool{}
	for _, dir := range dirs {
		t, err := r.locate(filepath.Join(dir, "x"), false)
		if err != nil || done[filepath.Dir(t.real)] {
			continue
		}
		done[filepath.Dir(t.real)] = true
		d, err := t.root.root.OpenRoot(t.dir)
		if err != nil {
			continue
		}
		if f, err := d.Open("."); err == nil {
			// Names only, then a type for the few temp names: ReadDir on a directory
			// opened through an os.Root lstats every entry (two per sidecar beside its
			// checkpoint, 20,000 calls on a 10,000-sidecar tree), and none is needed for
			// a name that is not a temp name.
			names, _ := f.Readdirnames(-1)
			f.Close()
			for _, name := range names {
				if !isTemp(name) {
					continue
				}
				if info, err := d.Lstat(name); err == nil && info.Mode().IsRegular() {
					_ = d.Remove(name)
				}
			}
		}
		d.Close()
	}
}

// dirSyncer batches directory fsyncs per directory: every writer waits for an fsync of its
// directory that began after its rename, and the writers in flight share one.
type dirSyncer struct {
	mu     sync.Mutex
	groups map[string]*groupSync
}

// sync returns once an fsync of dir (open as d) that began after the call has finished.
func (s *dirSyncer) sync(key string, d *os.Root) error {
	s.mu.Lock()
	if s.groups == nil {
		s.groups = map[string]*groupSync{}
	}
	g := s.groups[key]
	if g == nil {
		g = &groupSync{}
		s.groups[key] = g
	}
	g.users++
	s.mu.Unlock()
	err := g.wait(func() error {
		f, err := d.Open(".")
		if err != nil {
			return err
		}
		defer f.Close()
		return syncDir(f)
	})
	s.mu.Lock()
	if g.users--; g.users == 0 {
		delete(s.groups, key) // the map holds only directories being written now
	}
	s.mu.Unlock()
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
