package catalog

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	pool "github.com/ckptmeta/ckptmeta/internal/ordered"
	"github.com/ckptmeta/ckptmeta/internal/sidecar"
)

// Problem is something the walk could not look at (an unreadable directory, a path that
// does not exist), or a link it did not follow (a *sidecar.LoopError, a warning). Problems
// never stop a run.
type Problem struct {
	Path string
	Err  error
}

// group is one checkpoint and the sidecars that name it.
type group struct {
	ckpt   string   // checkpoint path, slash-separated as walked
	exists bool     // the checkpoint file exists
	yaml   []string // YAML sidecars, in sidecar.Candidates preference order
	json   []string // legacy .metadata.json sidecars
	named  bool     // a file of it was named on the command line: its partners come along
}

// sidecars returns every sidecar of g, YAML first, each in preference order.
func (g *group) sidecars() []string {
	out := make([]string, 0, len(g.yaml)+len(g.json))
	out = append(out, g.yaml...)
	return append(out, g.json...)
}

// lastMember is the lexically greatest path a file of ckpt's group can have: the files of
// checkpoint D/x.ckpt are D/x.ckpt, D/x.ckpt.metadata.{yaml,yml}, D/x.metadata.{json,yaml,yml}.
// Once the (lexically ordered) walk has passed it, the group is complete.
func lastMember(ckpt string) string { return strings.TrimSuffix(ckpt, ".ckpt") + ".metadata.yml" }

// scan walks roots and hands each checkpoint's group to emit, once the walk has passed every
// file that could belong to it, so only the few groups still open are held: memory does not
// grow with the tree. Groups come in the order they complete (deterministic, close to
// checkpoint order; callers sort what they keep). Paths that do not exist or cannot be read,
// and links back to their own ancestor (*sidecar.LoopError), go to onProblem in walk order.
// scan fails only when ctx is done.
func scan(ctx context.Context, roots, exclude []string, onDir func(string), onProblem func(Problem), emit func(*group)) error {
	fileRoots := map[string]bool{}
	for _, r := range roots {
		if fi, err := os.Stat(r); err == nil && !fi.IsDir() {
			fileRoots[filepath.ToSlash(filepath.Clean(r))] = true
		}
	}
	var open []*group // groups whose last possible member the walk has not passed yet
	byCkpt := map[string]*group{}
	closeBefore := func(p string, all bool) {
		kept := open[:0]
		var done []*group
		for _, g := range open {
			if all || lastMember(g.ckpt) < p {
				done = append(done, g)
				delete(byCkpt, g.ckpt)
			} else {
				kept = append(kept, g)
			}
		}
		clear(open[len(kept):])
		open = kept
		sort.Slice(done, func(i, j int) bool { return done[i].ckpt < done[j].ckpt })
		for _, g := range done {
			complete(g)
			emit(g)
		}
	}
	get := func(ckpt string) *group {
		g := byCkpt[ckpt]
		if g == nil {
			g = &group{ckpt: ckpt}
			byCkpt[ckpt] = g
			open = append(open, g)
		}
		return g
	}
	err := sidecar.WalkDirs(ctx, roots, exclude, func(p string, kind sidecar.Kind, err error) {
		slash := filepath.ToSlash(p)
		closeBefore(slash, false)
		if err != nil {
			onProblem(Problem{Path: slash, Err: err})
			return
		}
		var g *group
		switch kind {
		case sidecar.KindCheckpoint:
			g = get(slash)
			g.exists = true
		case sidecar.KindSidecar:
			g = get(filepath.ToSlash(sidecar.CheckpointFor(slash)))
			g.yaml = append(g.yaml, slash)
		case sidecar.KindLegacyJSON:
			g = get(filepath.ToSlash(sidecar.CheckpointFor(slash)))
			g.json = append(g.json, slash)
		default:
			return
		}
		if len(fileRoots) > 0 && fileRoots[path.Clean(slash)] {
			g.named = true
		}
	}, onDir)
	if err != nil {
		return err
	}
	closeBefore("", true)
	return nil
}

// complete settles what the walk alone cannot tell about a group: whether its checkpoint
// exists outside the roots or under an excluded path (then it is not an orphan), and, for a
// file named on the command line, its partners (`status x.ckpt` must see x's sidecars).
func complete(g *group) {
	if !g.exists {
		g.exists = isFile(g.ckpt)
	}
	if g.named {
		have := map[string]bool{}
		for _, p := range g.sidecars() {
			have[p] = true
		}
		for _, c := range sidecar.Candidates(g.ckpt) {
			c = filepath.ToSlash(c)
			if have[c] || !isFile(c) {
				continue
			}
			if strings.HasSuffix(c, ".json") {
				g.json = append(g.json, c)
			} else {
				g.yaml = append(g.yaml, c)
			}
		}
	}
	if len(g.yaml) > 1 || len(g.json) > 1 {
		order := preference(g.ckpt)
		sortByPreference(g.yaml, order)
		sortByPreference(g.json, order)
	}
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

func preference(ckpt string) map[string]int {
	m := map[string]int{}
	for i, c := range sidecar.Candidates(ckpt) {
		m[filepath.ToSlash(c)] = i
	}
	return m
}

func sortByPreference(paths []string, order map[string]int) {
	rank := func(p string) int {
		if r, ok := order[p]; ok {
			return r
		}
		return len(order)
	}
	sort.SliceStable(paths, func(i, j int) bool {
		ri, rj := rank(paths[i]), rank(paths[j])
		if ri != rj {
			return ri < rj
		}
		return paths[i] < paths[j]
	})
}

// streamGroups scans roots and runs work on each group on a bounded pool (internal/ordered),
// handing the results to yield in scan order on the calling goroutine. A panic in work (a
// decoder meeting hostile input) becomes onPanic's result for that group instead of a crash.
func streamGroups[T any](ctx context.Context, roots, exclude []string, workers int, onDir func(string), onProblem func(Problem),
	work func(*group) T, onPanic func(*group, any) T, yield func(T)) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var scanErr error
	pool.Stream(workers, 4*workers, func(emit func(*group)) {
		scanErr = scan(ctx, roots, exclude, onDir, onProblem, emit)
	}, func(g *group) (out T) {
		defer func() {
			if p := recover(); p != nil {
				out = onPanic(g, p)
			}
		}()
		return work(g)
	}, func(r T) {
		if ctx.Err() == nil {
			yield(r)
		}
	})
	if scanErr != nil {
		return scanErr
	}
	return ctx.Err()
}

// ErrUnknownFormat is wrapped by WriteStatus and WriteList for a format they do not have.
var ErrUnknownFormat = errors.New("catalog: unknown output format")

// FormatError names the unknown format and the known ones.
type FormatError struct {
	Format string
	Known  []string
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("catalog: unknown output format %q (known: %s)", e.Format, strings.Join(e.Known, ", "))
}

func (e *FormatError) Unwrap() error { return ErrUnknownFormat }
