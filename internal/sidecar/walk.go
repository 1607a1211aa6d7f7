package sidecar

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"iter"
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
// Walk lists each directory once, in the first pass, which chooses the directories (and links)
// it enters and keeps the listing for the second, which reports their files in order. It keeps
// a record per directory entered and, up to a bound (retainedEntries), its listing; beyond
// the bound a directory is listed again by the second pass, so memory does not grow with the
// number of files. When ctx is cancelled it stops, calls fn no more, and returns ctx's error.
func Walk(ctx context.Context, roots []string, exclude []string, fn WalkFunc) error {
	return WalkDirs(ctx, roots, exclude, fn, nil)
}

// WalkDirs is [Walk] that also calls onDir (when not nil) for each directory it enters, just
// before its first listing, from the calling goroutine and before fn sees any path (the files
// are reported from the second listing, which comes later). A watcher adds its watch there: a
// file created after the listing raises an event, one created before is listed, so none falls
// between the two.
func WalkDirs(ctx context.Context, roots []string, exclude []string, fn WalkFunc, onDir func(dir string)) error {
	return WalkListing(ctx, roots, exclude, fn, onDir, nil)
}

// WalkListing is [WalkDirs] that also hands onListing (when not nil) the listing of each
// directory whose files it reports (every entry, sorted by name, as os.ReadDir returns it:
// excluded names and .git included), from the calling goroutine, just before the first of
// those files goes to fn. The neighbour checks of a file read its directory's names: a caller
// that keeps the listing needs no listing of its own. onListing must not modify entries.
func WalkListing(ctx context.Context, roots []string, exclude []string, fn WalkFunc, onDir func(dir string), onListing func(dir string, entries []fs.DirEntry)) error {
	w := &walker{ctx: ctx, exclude: exclude, dirs: map[dirID]bool{}, rootFiles: map[fileKey]bool{}, onDir: onDir, onListing: onListing}
	sorted := append([]string(nil), roots...)
	sort.SliceStable(sorted, func(i, j int) bool {
		return filepath.ToSlash(filepath.Clean(sorted[i])) < filepath.ToSlash(filepath.Clean(sorted[j]))
	})
	type rootFile struct {
		path string
		key  fileKey
		ok   bool
	}
	var fileRoots []rootFile
	var top []*node // what the roots give, in the order the old walk found it (ties keep it)
	var dirRoots []func() (*dirRec, bool)
	for _, root := range sorted {
		if w.excluded(root) {
			continue
		}
		info, err := os.Stat(root)
		switch {
		case err != nil:
			top = append(top, &node{item: found{path: root, kind: rootKind(root), err: describe(err)}})
		case !info.IsDir() || rootKind(root) == KindCheckpoint && strings.HasSuffix(root, ckptExt):
			key, ok := rootKey(root)
			fileRoots = append(fileRoots, rootFile{root, key, ok})
			if ok {
				w.rootFiles[key] = false // the walk sets it when it reports the file itself
			}
		default:
			dirRoots = append(dirRoots, func() (*dirRec, bool) { return w.dir(root, info, nil) })
		}
	}
	// Pass 1: the directories. The root files are known first, so the walk can tell when it
	// meets one of them.
	for _, enter := range dirRoots {
		if d, ok := enter(); ok {
			top = append(top, &node{dir: d})
		} else if d != nil {
			top = append(top, d.children...) // an unreadable root directory
		}
	}
	// Links to directories wait until every real route was walked, so a directory is reported
	// under its own name when it has one inside the roots.
	for len(w.links) > 0 && ctx.Err() == nil {
		l := w.links[0]
		w.links = w.links[1:]
		w.follow(l)
	}
	seen := map[fileKey]bool{}
	for _, r := range fileRoots {
		if r.ok {
			if w.rootFiles[r.key] || seen[r.key] {
				continue
			}
			seen[r.key] = true
		}
		top = append(top, &node{item: found{path: r.path, kind: rootKind(r.path)}})
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	// Pass 2: the files, in lexical order of the slash-separated path. A directory's files and
	// its subdirectories' files interleave by name (a/x before a-b/… is wrong: '-' sorts before
	// '/'), so each directory sorts its entries with a subdirectory as name + "/"; the roots'
	// streams, which may overlap (".", and an absolute path), are merged.
	for _, n := range top {
		n.setKey()
	}
	sort.SliceStable(top, func(i, j int) bool { return top[i].key < top[j].key })
	var last *string
	report := func(f found) bool {
		if w.ctx.Err() != nil {
			return false
		}
		slash := filepath.ToSlash(f.path)
		if last != nil && *last == slash {
			return true // the same missing or unreadable path named twice
		}
		last = &slash
		fn(f.path, f.kind, f.err)
		return true
	}
	w.merge(top, report)
	return ctx.Err()
}

// dirRec is a directory the first pass entered, under the path it is reported by.
type dirRec struct {
	path     string
	children []*node       // the directories entered from it, and what its entries could not give
	entries  []fs.DirEntry // the first pass's listing, kept for the second (nil: list again)
	kept     bool          // entries holds the listing
}

// node is one thing a directory (or the list of roots) holds for the second pass: a directory
// entered (dir), or a path reported as it is (item).
type node struct {
	dir  *dirRec
	item found
	key  string // the slash-separated path; for a directory, the prefix of every path under it
}

func (n *node) setKey() {
	if n.dir != nil {
		n.key = strings.TrimSuffix(filepath.ToSlash(filepath.Join(n.dir.path, "x")), "x")
	} else {
		n.key = filepath.ToSlash(n.item.path)
	}
}

// merge reports the nodes (sorted by key) in lexical order of every path they hold. Sibling
// directories never overlap, but roots can (".", and an absolute path), so nodes whose ranges
// overlap are merged path by path.
func (w *walker) merge(nodes []*node, report func(found) bool) bool {
	for i := 0; i < len(nodes); {
		n := nodes[i]
		j := i + 1
		if n.dir != nil {
			for j < len(nodes) && strings.HasPrefix(nodes[j].key, n.key) {
				j++
			}
		}
		if j == i+1 {
			if n.dir == nil {
				if !report(n.item) {
					return false
				}
			} else if !w.files(n.dir, report) {
				return false
			}
			i = j
			continue
		}
		if !w.mergeOverlapping(nodes[i:j], report) {
			return false
		}
		i = j
	}
	return true
}

// mergeOverlapping reports what the nodes hold, merged by path: each node's paths are
// produced in order by its own walk, the smallest of the heads goes first.
func (w *walker) mergeOverlapping(nodes []*node, report func(found) bool) bool {
	type head struct {
		next  func() (found, bool)
		stop  func()
		cur   found
		slash string
		ok    bool
	}
	heads := make([]*head, len(nodes))
	for i, n := range nodes {
		seq := func(yield func(found) bool) {
			if n.dir == nil {
				yield(n.item)
				return
			}
			w.files(n.dir, yield)
		}
		next, stop := iter.Pull(iter.Seq[found](seq))
		h := &head{next: next, stop: stop}
		h.cur, h.ok = next()
		h.slash = filepath.ToSlash(h.cur.path)
		heads[i] = h
		defer stop()
	}
	for {
		var best *head
		for _, h := range heads {
			if h.ok && (best == nil || h.slash < best.slash) {
				best = h
			}
		}
		if best == nil {
			return true
		}
		if !report(best.cur) {
			return false
		}
		best.cur, best.ok = best.next()
		best.slash = filepath.ToSlash(best.cur.path)
	}
}

// files reports d's files and those of the directories entered from it, in lexical order of
// their slash-separated paths, from the first pass's listing (or a new one, when the first pass
// could not keep it).
func (w *walker) files(d *dirRec, report func(found) bool) bool {
	nodes := make([]*node, 0, len(d.children)+len(d.entries))
	nodes = append(nodes, d.children...)
	entries, kept := d.entries, d.kept
	d.entries = nil // reported once: let it go
	if !kept {
		var err error
		entries, err = os.ReadDir(d.path)
		if err != nil {
			// Readable a moment ago: report it now as the first pass would have.
			nodes = append(nodes, &node{item: found{path: d.path, kind: KindUnknown, err: describe(err)}})
			entries = nil
		}
	}
	if w.onListing != nil && (kept || entries != nil) {
		w.onListing(filepath.Clean(d.path), entries)
	}
	files := make([]node, 0, len(entries)) // one allocation for the directory's files, not one each
	for _, e := range entries {
		if c := w.classify(d.path, e, true); c.what == entryReport {
			files = append(files, node{item: found{path: c.path, kind: c.kind, err: c.err}})
		}
	}
	for i := range files {
		nodes = append(nodes, &files[i])
	}
	for _, n := range nodes {
		n.setKey()
	}
	sort.SliceStable(nodes, func(i, j int) bool { return nodes[i].key < nodes[j].key })
	return w.merge(nodes, report)
}

// entryWhat is what one directory entry is to the walk.
type entryWhat uint8

const (
	entrySkip    entryWhat = iota // not the walk's business (.git, excluded, not a sidecar or checkpoint name)
	entryReport                   // a file to report: a sidecar, legacy JSON or checkpoint (a sharded one too), maybe with an error
	entrySubdir                   // a directory to enter
	entryLinkDir                  // a link to a directory, followed once every real route is walked
)

// classified is one entry of a directory, classified.
type classified struct {
	what   entryWhat
	path   string
	kind   Kind
	err    error       // entryReport: why the file cannot be read (a dangling or looping link)
	target fs.FileInfo // entryLinkDir: the directory the link leads to
}

// classify decides what entry e of dir is: the one rule both passes apply (the first enters
// subdirectories and queues links; the second reports files). The path of an entry is built
// only when the rule needs it (exclusion, links, directories) or report asks for it (the
// second pass): the first pass builds none for plain files.
func (w *walker) classify(dir string, e fs.DirEntry, report bool) classified {
	name := e.Name()
	if name == ".git" {
		return classified{}
	}
	mode := e.Type()
	kind, interesting := Classify(name)
	if !interesting && mode&(fs.ModeDir|fs.ModeSymlink) == 0 {
		return classified{} // a plain file of no interest: not even a path to build
	}
	p := ""
	if len(w.exclude) > 0 || mode&(fs.ModeDir|fs.ModeSymlink) != 0 || report {
		p = w.join(dir, name)
		if w.excluded(p) {
			return classified{}
		}
	}
	if mode&fs.ModeSymlink != 0 {
		target, err := os.Stat(p)
		if err != nil {
			if interesting {
				return classified{what: entryReport, path: p, kind: kind, err: describe(err)}
			}
			return classified{}
		}
		if target.IsDir() && kind != KindCheckpoint {
			return classified{what: entryLinkDir, path: p, target: target}
		}
		mode = target.Mode().Type()
	}
	if mode.IsDir() && kind != KindCheckpoint {
		return classified{what: entrySubdir, path: p}
	}
	// A directory named X.ckpt is a sharded (FSDP, DeepSpeed) checkpoint: reported, so callers
	// can say it is unsupported instead of skipping it without a word.
	if interesting {
		return classified{what: entryReport, path: p, kind: kind}
	}
	return classified{}
}

// join is filepath.Join(dir, name) for a name read from dir's listing (no separator, never
// "." or ".."): when dir is already clean, as every directory the walk enters below a root is,
// the join needs no cleaning, which is most of Join's cost. Whether dir is clean is worked out
// once for a run of entries of one directory.
func (w *walker) join(dir, name string) string {
	if dir != w.joinDir || w.joinDir == "" {
		// A bare volume ("C:") joins as "C:x": Join itself handles it.
		w.joinDir, w.joinClean = dir, dir != "" && filepath.Clean(dir) == dir && filepath.VolumeName(dir) != dir
	}
	switch {
	case !w.joinClean:
		return filepath.Join(dir, name)
	case dir == ".":
		return name
	case os.IsPathSeparator(dir[len(dir)-1]):
		return dir + name
	}
	return dir + string(filepath.Separator) + name
}

// retainedEntries bounds the directory entries the first pass keeps for the second (about
// 100 bytes each with their names): a tree of up to ~16,000 sidecars beside their checkpoints
// is listed once; beyond, directories are listed a second time, and memory stays flat.
var retainedEntries = 1 << 15 // a var: tests lower it to walk the listing-again path

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
	path string
	kind Kind
	err  error
}

// link is a symbolic link to a directory, followed once the real routes are walked.
type link struct {
	path   string
	target fs.FileInfo
	chain  []ancestor // the directories above it, root first
	parent *dirRec    // the directory it sits in
}

type ancestor struct {
	id   dirID
	path string
}

type walker struct {
	ctx       context.Context
	exclude   []string
	dirs      map[dirID]bool   // directories entered
	rootFiles map[fileKey]bool // the files named as roots: true once the walk met one in a directory
	links     []link           // links to directories not followed yet
	chain     []ancestor       // the directories above the one being walked
	onDir     func(dir string)
	onListing func(dir string, entries []fs.DirEntry)
	retained  int // directory entries kept by the first pass for the second
	joinDir   string
	joinClean bool // joinDir is clean: join appends
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
			l.parent.children = append(l.parent.children, &node{item: found{path: l.path, kind: KindUnknown, err: &LoopError{Link: l.path, Ancestor: a.path}}})
			return
		}
	}
	w.chain = l.chain
	w.dir(l.path, l.target, l.parent)
	w.chain = nil
}

// dir enters a directory: it records the directories to enter from it and what cannot be
// reported from a listing. It returns the record and true when it entered dir, and false when
// dir was entered already (nil) or cannot be listed (a record holding only that error).
// With a parent, dir is added to the parent's children (or its error is).
func (w *walker) dir(dir string, info fs.FileInfo, parent *dirRec) (*dirRec, bool) {
	id := identify(dir, info)
	if w.dirs[id] || w.ctx.Err() != nil {
		return nil, false
	}
	w.dirs[id] = true
	if w.onDir != nil {
		w.onDir(dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		n := &node{item: found{path: dir, kind: KindUnknown, err: describe(err)}}
		if parent != nil {
			parent.children = append(parent.children, n)
		}
		return &dirRec{path: dir, children: []*node{n}}, false
	}
	d := &dirRec{path: dir}
	if parent != nil {
		parent.children = append(parent.children, &node{dir: d})
	}
	w.chain = append(w.chain, ancestor{id, dir})
	defer func() { w.chain = w.chain[:len(w.chain)-1] }()
	if w.retained+len(entries) <= retainedEntries {
		d.entries, d.kept = entries, true
		w.retained += len(entries)
	}
	for _, e := range entries {
		c := w.classify(dir, e, false)
		switch c.what {
		case entryReport:
			w.file(id, e.Name())
		case entryLinkDir:
			// The chain is copied: w.chain's array is reused by the walk that goes on.
			w.links = append(w.links, link{path: c.path, target: c.target, chain: append([]ancestor(nil), w.chain...), parent: d})
		case entrySubdir:
			sub, err := e.Info()
			if err != nil {
				d.children = append(d.children, &node{item: found{path: c.path, kind: KindUnknown, err: describe(err)}})
				continue
			}
			w.dir(c.path, sub, d)
		}
	}
	return d, true
}

// file notes that the walk will report dir/name, so a root naming the same file is not
// reported twice.
func (w *walker) file(dir dirID, name string) {
	if len(w.rootFiles) == 0 {
		return
	}
	k := fileKey{dir, name}
	if _, ok := w.rootFiles[k]; ok {
		w.rootFiles[k] = true
	}
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
