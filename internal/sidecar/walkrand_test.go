package sidecar

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// randomTree writes a random tree under root and returns the paths (relative to root) that
// make good roots: directories, files, links, and names that do not exist. Names are chosen to
// stress the order ('-', '.' and ' ' sort before '/'), every sidecar naming (.yaml, .yml,
// .json, with and without .ckpt), checkpoints as files and as directories (sharded), .git,
// links to directories (siblings, ancestors: loops, outside the roots), to files, dangling
// and looping links, and (when not root) unreadable directories.
func randomTree(t *testing.T, rng *rand.Rand, root string) []string {
	t.Helper()
	dirNames := []string{"a", "a-b", "a.b", "b", "x y", "run1", "runs", ".git", "c.ckpt", "latest"}
	stems := []string{"e1", "e-2", "best", "last", "b"}
	suffixes := []string{".ckpt", ".ckpt.metadata.yaml", ".metadata.yaml", ".metadata.yml", ".ckpt.metadata.yml", ".metadata.json", ".txt", ".yaml", ".ckpt.metadata.json"}
	var dirs, files []string
	var mk func(rel string, depth int)
	mk = func(rel string, depth int) {
		dirs = append(dirs, rel)
		for range rng.Intn(7) {
			if depth < 3 && rng.Intn(3) == 0 {
				sub := filepath.Join(rel, dirNames[rng.Intn(len(dirNames))])
				if _, err := os.Lstat(filepath.Join(root, sub)); err == nil {
					continue
				}
				if err := os.Mkdir(filepath.Join(root, sub), 0o755); err != nil {
					t.Fatal(err)
				}
				mk(sub, depth+1)
				continue
			}
			f := filepath.Join(rel, stems[rng.Intn(len(stems))]+suffixes[rng.Intn(len(suffixes))])
			if _, err := os.Lstat(filepath.Join(root, f)); err == nil {
				continue
			}
			if err := os.WriteFile(filepath.Join(root, f), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
		}
	}
	mk(".", 0)
	outside := filepath.Join(filepath.Dir(root), "outside")
	os.MkdirAll(filepath.Join(outside, "o"), 0o755)
	os.WriteFile(filepath.Join(outside, "o", "x.metadata.yaml"), nil, 0o644)
	var links []string
	for range rng.Intn(5) {
		in := dirs[rng.Intn(len(dirs))]
		name := []string{"latest", "l-1", "zz", "best.ckpt", "s.metadata.yaml", "loop"}[rng.Intn(6)]
		link := filepath.Join(in, name)
		if _, err := os.Lstat(filepath.Join(root, link)); err == nil {
			continue
		}
		var target string
		switch rng.Intn(7) {
		case 0, 1: // another directory of the tree (maybe an ancestor: a loop), relative
			to := dirs[rng.Intn(len(dirs))]
			r, err := filepath.Rel(filepath.Join(root, in), filepath.Join(root, to))
			if err != nil {
				t.Fatal(err)
			}
			target = r
		case 2: // absolute, to a directory of the tree
			target = filepath.Join(root, dirs[rng.Intn(len(dirs))])
		case 3: // outside the tree
			target = outside
		case 4: // a file
			if len(files) == 0 {
				continue
			}
			target = filepath.Join(root, files[rng.Intn(len(files))])
		case 5: // dangling
			target = "does-not-exist"
		case 6: // itself: ELOOP
			target = name
		}
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
		links = append(links, link)
	}
	if os.Geteuid() != 0 && len(dirs) > 1 && rng.Intn(4) == 0 {
		d := dirs[1+rng.Intn(len(dirs)-1)]
		os.Chmod(filepath.Join(root, d), 0)
		t.Cleanup(func() { os.Chmod(filepath.Join(root, d), 0o755) })
	}
	cands := append(append(append([]string{"missing.metadata.yaml", "nope"}, dirs...), files...), links...)
	return cands
}

// walkTrace is what a walk did: every call of fn and of onDir, in order.
func walkTrace(walk func(context.Context, []string, []string, WalkFunc, func(string)) error, roots, exclude []string) []string {
	var out []string
	err := walk(context.Background(), roots, exclude, func(p string, k Kind, err error) {
		var loop *LoopError
		switch {
		case errors.As(err, &loop):
			out = append(out, fmt.Sprintf("%s LOOP %s -> %s", p, loop.Link, loop.Ancestor))
		case err != nil:
			out = append(out, fmt.Sprintf("%s %v ERR %v loop=%v", p, k, err, errors.Is(err, ErrSymlinkLoop)))
		default:
			out = append(out, fmt.Sprintf("%s %v", p, k))
		}
	}, func(dir string) { out = append(out, "DIR "+dir) })
	if err != nil {
		out = append(out, "RETURN "+err.Error())
	}
	return out
}

// TestWalkMatchesReference: on thousands of random trees, with random roots (relative,
// absolute, "./x/", overlapping, missing, links) and excludes, WalkDirs calls fn and onDir
// exactly as the reference walk (walkref_test.go: the walk before its passes shared a
// listing) does.
func TestWalkMatchesReference(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need developer mode on Windows")
	}
	n := 3000
	if testing.Short() {
		n = 300
	}
	base := t.TempDir()
	seen := map[string]int{}
	excludes := [][]string{nil, nil, nil, {"**/a-b/**"}, {"*.yml"}, {"run1"}, {"x y", "*.json"}, {"latest"}}
	for i := range n {
		rng := rand.New(rand.NewSource(int64(i)))
		root := filepath.Join(base, fmt.Sprint(i), "tree")
		if err := os.MkdirAll(root, 0o755); err != nil {
			t.Fatal(err)
		}
		cands := randomTree(t, rng, root)
		// Every third tree keeps no listing for the second pass, every third a few entries'
		// worth: the path that lists a directory again is compared too.
		old := retainedEntries
		retainedEntries = []int{old, 0, 7}[i%3]
		t.Chdir(root)
		for range 3 {
			var roots []string
			for range 1 + rng.Intn(3) {
				r := cands[rng.Intn(len(cands))]
				switch rng.Intn(5) {
				case 0:
					r = filepath.Join(root, r) // absolute
				case 1:
					r = "./" + r + "/"
				}
				roots = append(roots, r)
			}
			exclude := excludes[rng.Intn(len(excludes))]
			want := walkTrace(refWalkDirs, roots, exclude)
			got := walkTrace(WalkDirs, roots, exclude)
			for _, l := range want {
				for _, what := range []string{" LOOP ", " ERR ", "loop=true", " sidecar", " legacy", " checkpoint", "DIR "} {
					if strings.Contains(l, what) {
						seen[what]++
					}
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("tree %d (seed %d), roots %q, exclude %q:\n got:\n  %s\nwant:\n  %s", i, i, roots, exclude,
					strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
		}
		retainedEntries = old
	}
	// The trees must have exercised every kind of report, or the comparison proves little.
	t.Logf("reports compared: %v", seen)
	for _, what := range []string{" LOOP ", " ERR ", "loop=true", " sidecar", " legacy", " checkpoint", "DIR "} {
		if seen[what] == 0 {
			t.Errorf("no %q report in %d trees", what, n)
		}
	}
}
