package sidecar

// This file is the walk as it was before its two passes shared one listing (commit
// f1771f3's walk.go, renamed), kept as the reference TestWalkMatchesReference compares the
// walk with on random trees. It is not used by the package.

import (
	"context"
	"fmt"
	"io/fs"
	"iter"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// refWalkDirs is [Walk] that also calls onDir (when not nil) for each directory it enters, just
// before its first listing, from the calling goroutine and before fn sees any path (the files
// are reported from the second listing, which comes later). A watcher adds its watch there: a
// file created after the listing raises an event, one created before is listed, so none falls
// between the two.
func refWalkDirs(ctx context.Context, roots []string, exclude []string, fn WalkFunc, onDir func(dir string)) error {
	w := &refWalker{ctx: ctx, exclude: exclude, dirs: map[dirID]bool{}, rootFiles: map[fileKey]bool{}, onDir: onDir}
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
	var top []*refNode // what the roots give, in the order the old walk refFound it (ties keep it)
	var dirRoots []func() (*refDirRec, bool)
	for _, root := range sorted {
		if w.excluded(root) {
			continue
		}
		info, err := os.Stat(root)
		switch {
		case err != nil:
			top = append(top, &refNode{item: refFound{path: root, kind: refRootKind(root), err: refDescribe(err)}})
		case !info.IsDir() || refRootKind(root) == KindCheckpoint && strings.HasSuffix(root, ckptExt):
			key, ok := refRootKey(root)
			fileRoots = append(fileRoots, rootFile{root, key, ok})
			if ok {
				w.rootFiles[key] = false // the walk sets it when it reports the file itself
			}
		default:
			dirRoots = append(dirRoots, func() (*refDirRec, bool) { return w.dir(root, info, nil) })
		}
	}
	// Pass 1: the directories. The root files are known first, so the walk can tell when it
	// meets one of them.
	for _, enter := range dirRoots {
		if d, ok := enter(); ok {
			top = append(top, &refNode{dir: d})
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
		top = append(top, &refNode{item: refFound{path: r.path, kind: refRootKind(r.path)}})
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
	report := func(f refFound) bool {
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

// refDirRec is a directory the first pass entered, under the path it is reported by.
type refDirRec struct {
	path     string
	children []*refNode // the directories entered from it, and what its entries could not give
}

// refNode is one thing a directory (or the list of roots) holds for the second pass: a directory
// entered (dir), or a path reported as it is (item).
type refNode struct {
	dir  *refDirRec
	item refFound
	key  string // the slash-separated path; for a directory, the prefix of every path under it
}

func (n *refNode) setKey() {
	if n.dir != nil {
		n.key = strings.TrimSuffix(filepath.ToSlash(filepath.Join(n.dir.path, "x")), "x")
	} else {
		n.key = filepath.ToSlash(n.item.path)
	}
}

// merge reports the nodes (sorted by key) in lexical order of every path they hold. Sibling
// directories never overlap, but roots can (".", and an absolute path), so nodes whose ranges
// overlap are merged path by path.
func (w *refWalker) merge(nodes []*refNode, report func(refFound) bool) bool {
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

// mergeOverlapping reports what the nodes hold, merged by path: each refNode's paths are
// produced in order by its own walk, the smallest of the heads goes first.
func (w *refWalker) mergeOverlapping(nodes []*refNode, report func(refFound) bool) bool {
	type head struct {
		next  func() (refFound, bool)
		stop  func()
		cur   refFound
		slash string
		ok    bool
	}
	heads := make([]*head, len(nodes))
	for i, n := range nodes {
		seq := func(yield func(refFound) bool) {
			if n.dir == nil {
				yield(n.item)
				return
			}
			w.files(n.dir, yield)
		}
		next, stop := iter.Pull(iter.Seq[refFound](seq))
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

// files lists d again and reports its files and those of the directories entered from it, in
// lexical order of their slash-separated paths.
func (w *refWalker) files(d *refDirRec, report func(refFound) bool) bool {
	nodes := append([]*refNode(nil), d.children...)
	entries, err := os.ReadDir(d.path)
	if err != nil {
		// Readable a moment ago: report it now as the first pass would have.
		nodes = append(nodes, &refNode{item: refFound{path: d.path, kind: KindUnknown, err: refDescribe(err)}})
		entries = nil
	}
	for _, e := range entries {
		name := e.Name()
		p := filepath.Join(d.path, name)
		if name == ".git" || w.excluded(p) {
			continue
		}
		kind, interesting := Classify(name)
		mode := e.Type()
		if mode&fs.ModeSymlink != 0 {
			target, err := os.Stat(p)
			if err != nil {
				if interesting {
					nodes = append(nodes, &refNode{item: refFound{path: p, kind: kind, err: refDescribe(err)}})
				}
				continue
			}
			if target.IsDir() && kind != KindCheckpoint {
				continue // the first pass followed it, or not (then it is a child or nothing)
			}
			mode = target.Mode().Type()
		}
		if mode.IsDir() && kind != KindCheckpoint {
			continue // entered by the first pass: a child
		}
		if interesting {
			nodes = append(nodes, &refNode{item: refFound{path: p, kind: kind}})
		}
	}
	for _, n := range nodes {
		n.setKey()
	}
	sort.SliceStable(nodes, func(i, j int) bool { return nodes[i].key < nodes[j].key })
	return w.merge(nodes, report)
}

type refFound struct {
	path string
	kind Kind
	err  error
}

// refLink is a symbolic refLink to a directory, followed once the real routes are walked.
type refLink struct {
	path   string
	target fs.FileInfo
	chain  []refAncestor // the directories above it, root first
	parent *refDirRec    // the directory it sits in
}

type refAncestor struct {
	id   dirID
	path string
}

type refWalker struct {
	ctx       context.Context
	exclude   []string
	dirs      map[dirID]bool   // directories entered
	rootFiles map[fileKey]bool // the files named as roots: true once the walk met one in a directory
	links     []refLink        // links to directories not followed yet
	chain     []refAncestor    // the directories above the one being walked
	onDir     func(dir string)
}

func (w *refWalker) excluded(p string) bool {
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

func refRootKind(p string) Kind {
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

// refRootKey is the fileKey of a file named on the command line.
func refRootKey(root string) (fileKey, bool) {
	clean := filepath.Clean(root)
	parent := filepath.Dir(clean)
	info, err := os.Stat(parent)
	if err != nil {
		return fileKey{}, false
	}
	return fileKey{refIdentify(parent, info), filepath.Base(clean)}, true
}

// follow walks a refLink to a directory unless that directory was walked already (silently) or is
// one of the refLink's own ancestors (a loop).
func (w *refWalker) follow(l refLink) {
	id := refIdentify(l.path, l.target)
	for _, a := range l.chain {
		if a.id == id {
			l.parent.children = append(l.parent.children, &refNode{item: refFound{path: l.path, kind: KindUnknown, err: &LoopError{Link: l.path, Ancestor: a.path}}})
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
func (w *refWalker) dir(dir string, info fs.FileInfo, parent *refDirRec) (*refDirRec, bool) {
	id := refIdentify(dir, info)
	if w.dirs[id] || w.ctx.Err() != nil {
		return nil, false
	}
	w.dirs[id] = true
	if w.onDir != nil {
		w.onDir(dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		n := &refNode{item: refFound{path: dir, kind: KindUnknown, err: refDescribe(err)}}
		if parent != nil {
			parent.children = append(parent.children, n)
		}
		return &refDirRec{path: dir, children: []*refNode{n}}, false
	}
	d := &refDirRec{path: dir}
	if parent != nil {
		parent.children = append(parent.children, &refNode{dir: d})
	}
	w.chain = append(w.chain, refAncestor{id, dir})
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
					w.file(id, name)
				}
				continue
			}
			if target.IsDir() && kind != KindCheckpoint {
				// The chain is copied: w.chain's array is reused by the walk that goes on.
				w.links = append(w.links, refLink{path: p, target: target, chain: append([]refAncestor(nil), w.chain...), parent: d})
				continue
			}
			mode = target.Mode().Type()
		}
		if mode.IsDir() && kind == KindCheckpoint {
			// A directory named X.ckpt is a sharded (FSDP, DeepSpeed) checkpoint: report it,
			// so callers can say it is unsupported instead of skipping it without a word.
			w.file(id, name)
			continue
		}
		if mode.IsDir() {
			sub, err := e.Info()
			if err != nil {
				d.children = append(d.children, &refNode{item: refFound{path: p, kind: KindUnknown, err: refDescribe(err)}})
				continue
			}
			w.dir(p, sub, d)
			continue
		}
		if interesting {
			w.file(id, name)
		}
	}
	return d, true
}

// file notes that the walk will report dir/name, so a root naming the same file is not
// reported twice.
func (w *refWalker) file(dir dirID, name string) {
	if len(w.rootFiles) == 0 {
		return
	}
	k := fileKey{dir, name}
	if _, ok := w.rootFiles[k]; ok {
		w.rootFiles[k] = true
	}
}

// refIdentify names a directory: by device and inode (volume and file index on Windows), else by
// its path with the links resolved.
func refIdentify(p string, info fs.FileInfo) dirID {
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

// refDescribe turns ELOOP into ErrSymlinkLoop so callers can match it with errors.Is.
func refDescribe(err error) error {
	if isLoop(err) {
		return fmt.Errorf("%w: %v", ErrSymlinkLoop, err)
	}
	return err
}
