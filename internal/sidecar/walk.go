package sidecar

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// ErrSymlinkLoop is reported for a path whose symbolic links never end (the system's ELOOP):
// the file cannot be read.
var ErrSymlinkLoop = errors.New("sidecar: symlink loop")

// LoopError is a symbolic link to a directory that is one of the link's own ancestors. The walk
// does not follow it, and nothing is lost by that (the directory is being walked already), so
// callers report it as a warning, not as an unreadable file.
type LoopError struct {
	Link     string // the link, as walked
	Ancestor string // the directory it leads back to, as walked
}

func (e *LoopError) Error() string {
	return fmt.Sprintf("sidecar: symlink loop: %s leads back to %s; not followed", e.Link, e.Ancestor)
}

// WalkFunc receives each discovered path. err is non-nil for a path that could not be read (an
// unreadable directory, a path that does not exist, a broken link) and for a [*LoopError]; the
// walk goes on after it.
type WalkFunc func(path string, kind Kind, err error)

// Walk visits every checkpoint and sidecar under roots and calls fn once per path, in lexical
// order of the slash-separated path, from the calling goroutine.
//
// A root that is a file is reported whatever its name: a .ckpt as a checkpoint, a .json as legacy
// JSON, anything else as a sidecar (the caller asked for it). A root that does not exist is
// reported with its error. exclude holds glob patterns (path.Match syntax) matched against the
// slash-separated path, its base name, and each trailing run of its elements; a matching
// directory is not entered.
//
// Each directory is visited once: a directory reached by a second route (overlapping roots, a
// second link to it) is skipped without a word, and a route without symbolic links is preferred,
// so `outputs/latest -> run1` reports the files under outputs/run1. A root file that the walk
// reports anyway, or that is named twice, is reported once. A link back to one of its own
// ancestors is reported as a [*LoopError].
//
// Walk collects the paths before calling fn (a few bytes per file; the order needs it). When
// ctx is cancelled it stops, calls fn no more, and returns ctx's error.
func Walk(ctx context.Context, roots []string, exclude []string, fn WalkFunc) error {
	return WalkDirs(ctx, roots, exclude, fn, nil)
}

// WalkDirs is [Walk] that also calls onDir (when not nil) for each directory it enters, just
// before listing it, from the calling goroutine and before fn sees any path. A watcher adds
// its watch there: a file created after the listing raises an event, one created before
// is listed, so none falls between the two.
func WalkDirs(ctx context.Context, roots []string, exclude []string, fn WalkFunc, onDir func(dir string)) error {
	w := &walker{ctx: ctx, exclude: exclude, dirs: map[dirID]bool{}, files: map[fileKey]bool{}, onDir: onDir}
	sorted := append([]string(nil), roots...)
	sort.SliceStable(sorted, func(i, j int) bool {
		return filepath.ToSlash(filepath.Clean(sorted[i])) < filepath.ToSlash(filepath.Clean(sorted[j]))
	})
	var fileRoots []string
	for _, root := range sorted {
		if w.excluded(root) {
			continue
		}
		info, err := os.Stat(root)
		switch {
		case err != nil:
			w.add(root, rootKind(root), describe(err))
		case !info.IsDir() || rootKind(root) == KindCheckpoint && strings.HasSuffix(root, ckptExt):
			fileRoots = append(fileRoots, root)
		default:
			w.dir(root, info)
		}
	}
	// Links to directories wait until every real route was walked, so a directory is reported
	// under its own name when it has one inside the roots.
	for len(w.links) > 0 && ctx.Err() == nil {
		l := w.links[0]
		w.links = w.links[1:]
		w.follow(l)
	}
	for _, root := range fileRoots {
		if key, ok := rootKey(root); ok {
			if w.files[key] {
				continue
			}
			w.files[key] = true
		}
		w.add(root, rootKind(root), nil)
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	sort.SliceStable(w.found, func(i, j int) bool { return w.found[i].slash < w.found[j].slash })
	for i, f := range w.found {
		if i > 0 && f.slash == w.found[i-1].slash {
			continue // the same missing or unreadable path named twice
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		fn(f.path, f.kind, f.err)
	}
	return nil
}

// dirID identifies a directory however it is reached: device and inode where the system has
// them, else the path with every link resolved.
type dirID struct {
	dev, ino uint64
	real     string
}

// fileKey identifies a file by the directory it sits in and its name in it (a link to a file
// is its own file: it names its own checkpoint).
type fileKey struct {
	dir  dirID
	name string
}

type found struct {
	path, slash string
	kind        Kind
	err         error
}

// link is a symbolic link to a directory, followed once the real routes are walked.
type link struct {
	path   string
	target fs.FileInfo
	chain  []ancestor // the directories above it, root first
}

type ancestor struct {
	id   dirID
	path string
}

type walker struct {
	ctx     context.Context
	exclude []string
	dirs    map[dirID]bool   // directories visited
	files   map[fileKey]bool // files reported
	links   []link           // links to directories not followed yet
	found   []found
	chain   []ancestor // the directories above the one being walked
	onDir   func(dir string)
}

func (w *walker) add(p string, kind Kind, err error) {
	w.found = append(w.found, found{path: p, slash: filepath.ToSlash(p), kind: kind, err: err})
}

func (w *walker) excluded(p string) bool {
	if len(w.exclude) == 0 {
		return false
	}
	slash := filepath.ToSlash(p)
	parts := strings.Split(strings.TrimPrefix(slash, "./"), "/")
	for _, pat := range w.exclude {
		pat = filepath.ToSlash(pat)
		for i := range parts {
			if ok, _ := path.Match(pat, strings.Join(parts[i:], "/")); ok {
				return true
			}
		}
		if ok, _ := path.Match(pat, slash); ok {
			return true
		}
	}
	return false
}

func rootKind(p string) Kind {
	if k, ok := Classify(p); ok {
		return k
	}
	switch strings.ToLower(filepath.Ext(p)) {
	case ".ckpt":
		return KindCheckpoint
	case ".json":
		return KindLegacyJSON
	}
	return KindSidecar
}

// rootKey is the fileKey of a file named on the command line.
func rootKey(root string) (fileKey, bool) {
	clean := filepath.Clean(root)
	parent := filepath.Dir(clean)
	info, err := os.Stat(parent)
	if err != nil {
		return fileKey{}, false
	}
	return fileKey{identify(parent, info), filepath.Base(clean)}, true
}

// follow walks a link to a directory unless that directory was walked already (silently) or is
// one of the link's own ancestors (a loop).
func (w *walker) follow(l link) {
	id := identify(l.path, l.target)
	for _, a := range l.chain {
		if a.id == id {
			w.add(l.path, KindUnknown, &LoopError{Link: l.path, Ancestor: a.path})
			return
		}
	}
	w.chain = l.chain
	w.dir(l.path, l.target)
	w.chain = nil
}

func (w *walker) dir(dir string, info fs.FileInfo) {
	id := identify(dir, info)
	if w.dirs[id] || w.ctx.Err() != nil {
		return
	}
	w.dirs[id] = true
	if w.onDir != nil {
		w.onDir(dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		w.add(dir, KindUnknown, describe(err))
		return
	}
	w.chain = append(w.chain, ancestor{id, dir})
	defer func() { w.chain = w.chain[:len(w.chain)-1] }()
	for _, e := range entries {
		name := e.Name()
		p := filepath.Join(dir, name)
		if name == ".git" || w.excluded(p) {
			continue
		}
		kind, interesting := Classify(name)
		mode := e.Type()
		if mode&fs.ModeSymlink != 0 {
			target, err := os.Stat(p)
			if err != nil {
				if interesting {
					w.file(id, name, p, kind, describe(err))
				}
				continue
			}
			if target.IsDir() && kind != KindCheckpoint {
				// The chain is copied: w.chain's array is reused by the walk that goes on.
				w.links = append(w.links, link{path: p, target: target, chain: append([]ancestor(nil), w.chain...)})
				continue
			}
			mode = target.Mode().Type()
		}
		if mode.IsDir() && kind == KindCheckpoint {
			// A directory named X.ckpt is a sharded (FSDP, DeepSpeed) checkpoint: report it,
			// so callers can say it is unsupported instead of skipping it without a word.
			w.file(id, name, p, kind, nil)
			continue
		}
		if mode.IsDir() {
			sub, err := e.Info()
			if err != nil {
				w.add(p, KindUnknown, describe(err))
				continue
			}
			w.dir(p, sub)
			continue
		}
		if interesting {
			w.file(id, name, p, kind, nil)
		}
	}
}

func (w *walker) file(dir dirID, name, p string, kind Kind, err error) {
	w.files[fileKey{dir, name}] = true
	w.add(p, kind, err)
}

// identify names a directory: by device and inode (volume and file index on Windows), else by
// its path with the links resolved.
func identify(p string, info fs.FileInfo) dirID {
	if id, ok := identity(p, info); ok {
		return dirID{dev: id.dev, ino: id.ino}
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		real = p
	}
	if abs, err := filepath.Abs(real); err == nil {
		real = abs
	}
	return dirID{real: real}
}

// fileID is what identity returns (see identity_unix.go, identity_windows.go).
type fileID struct{ dev, ino uint64 }

// describe turns ELOOP into ErrSymlinkLoop so callers can match it with errors.Is.
func describe(err error) error {
	if isLoop(err) {
		return fmt.Errorf("%w: %v", ErrSymlinkLoop, err)
	}
	return err
}
