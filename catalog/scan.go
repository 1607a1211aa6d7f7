package catalog

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

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
}

// sidecars returns every sidecar of g, YAML first, each in preference order.
func (g *group) sidecars() []string {
	out := make([]string, 0, len(g.yaml)+len(g.json))
	out = append(out, g.yaml...)
	return append(out, g.json...)
}

// scan walks roots and groups what it finds by checkpoint, sorted by checkpoint path. Paths
// that do not exist or cannot be read, and links back to their own ancestor
// (*sidecar.LoopError), are Problems. It fails only when ctx is done.
func scan(ctx context.Context, roots, exclude []string) ([]*group, []Problem, error) {
	var problems []Problem
	fileRoots := map[string]bool{}
	for _, r := range roots {
		if fi, err := os.Stat(r); err == nil && !fi.IsDir() {
			fileRoots[filepath.ToSlash(filepath.Clean(r))] = true
		}
	}

	byCkpt := map[string]*group{}
	get := func(ckpt string) *group {
		g := byCkpt[ckpt]
		if g == nil {
			g = &group{ckpt: ckpt}
			byCkpt[ckpt] = g
		}
		return g
	}
	seen := map[string]bool{} // a path given twice (overlapping roots) counts once
	var fileHits []string
	walkErr := sidecar.Walk(ctx, roots, exclude, func(p string, kind sidecar.Kind, err error) {
		if err != nil {
			problems = append(problems, Problem{Path: filepath.ToSlash(p), Err: err})
			return
		}
		p = filepath.ToSlash(p)
		if seen[p] {
			return
		}
		seen[p] = true
		if len(fileRoots) > 0 && fileRoots[filepath.ToSlash(filepath.Clean(p))] {
			fileHits = append(fileHits, p)
		}
		switch kind {
		case sidecar.KindCheckpoint:
			get(p).exists = true
		case sidecar.KindSidecar:
			g := get(filepath.ToSlash(sidecar.CheckpointFor(p)))
			g.yaml = append(g.yaml, p)
		case sidecar.KindLegacyJSON:
			g := get(filepath.ToSlash(sidecar.CheckpointFor(p)))
			g.json = append(g.json, p)
		}
	})
	if walkErr != nil {
		return nil, problems, walkErr
	}

	// A file named on the command line brings its partner along: the sidecars of a named
	// checkpoint, the checkpoint of a named sidecar. Without this, `status x.ckpt` would call
	// every named checkpoint missing.
	for _, p := range fileHits {
		ckpt := p
		if g, ok := byCkpt[p]; !ok || !g.exists {
			ckpt = filepath.ToSlash(sidecar.CheckpointFor(p))
		}
		g := get(ckpt)
		for _, c := range sidecar.Candidates(ckpt) {
			c = filepath.ToSlash(c)
			if seen[c] || !isFile(c) {
				continue
			}
			seen[c] = true
			if strings.HasSuffix(c, ".json") {
				g.json = append(g.json, c)
			} else {
				g.yaml = append(g.yaml, c)
			}
		}
	}

	groups := make([]*group, 0, len(byCkpt))
	for _, g := range byCkpt {
		if !g.exists {
			// Excluded, or outside the roots, but there: not an orphan.
			g.exists = isFile(g.ckpt)
		}
		if len(g.yaml) > 1 || len(g.json) > 1 {
			order := preference(g.ckpt)
			sortByPreference(g.yaml, order)
			sortByPreference(g.json, order)
		}
		groups = append(groups, g)
	}
	sort.Slice(groups, func(i, j int) bool { return groups[i].ckpt < groups[j].ckpt })
	sort.SliceStable(problems, func(i, j int) bool { return problems[i].Path < problems[j].Path })
	return groups, problems, nil
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

// forEach runs fn(0..n-1) on a bounded pool of workers (0 = GOMAXPROCS). Each fn writes only
// its own slot, so results keep their order whatever the scheduling. A panic in fn (a decoder
// meeting hostile input) is handed to onPanic for that index instead of crashing the run.
func forEach(ctx context.Context, n, workers int, fn func(i int), onPanic func(i int, v any)) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				func() {
					defer func() {
						if v := recover(); v != nil {
							onPanic(i, v)
						}
					}()
					fn(i)
				}()
			}
		})
	}
	wg.Wait()
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
