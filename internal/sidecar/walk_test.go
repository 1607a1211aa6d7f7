package sidecar

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// symlink makes a real symbolic link, skipping the test where the system does not allow it
// (Windows without developer mode).
func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		if runtime.GOOS == "windows" {
			t.Skipf("symbolic links are not available: %v", err)
		}
		t.Fatal(err)
	}
}

// walkRel walks roots given relative to dir (the walk sees relative paths, as a user's
// command line would give them) and returns "path kind" lines, "path ERR" for errors and
// "path LOOP->ancestor" for loops.
func walkRel(t *testing.T, dir string, roots ...string) []string {
	t.Helper()
	t.Chdir(dir)
	var out []string
	err := Walk(context.Background(), roots, nil, func(p string, k Kind, err error) {
		var loop *LoopError
		switch {
		case errors.As(err, &loop):
			out = append(out, filepath.ToSlash(p)+" LOOP->"+filepath.ToSlash(loop.Ancestor))
		case err != nil:
			out = append(out, filepath.ToSlash(p)+" ERR")
		default:
			out = append(out, filepath.ToSlash(p)+" "+k.String())
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func assertWalk(t *testing.T, got []string, want ...string) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("walk:\n got %q\nwant %q", got, want)
	}
}

func TestWalkOverlappingRootsVisitOnce(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "outputs/run1/a.ckpt", "outputs/run1/a.ckpt.metadata.yaml", "outputs/run2/b.metadata.yaml")
	want := []string{"outputs/run1/a.ckpt checkpoint", "outputs/run1/a.ckpt.metadata.yaml sidecar", "outputs/run2/b.metadata.yaml sidecar"}
	// Nested roots, in either order, and the same root twice: each file once, no error.
	assertWalk(t, walkRel(t, dir, "outputs", "outputs/run1"), want...)
	assertWalk(t, walkRel(t, dir, "outputs/run1", "outputs", "./outputs/"), want...)
	// A file named on the command line that the walk reaches anyway, or named twice, is reported once.
	assertWalk(t, walkRel(t, dir, "outputs/run1/a.ckpt.metadata.yaml", "outputs", "outputs/run1/a.ckpt.metadata.yaml"), want...)
}

func TestWalkLinkToVisitedDirIsSilent(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "outputs/run1/a.ckpt", "outputs/run1/a.ckpt.metadata.yaml")
	symlink(t, "run1", filepath.Join(dir, "outputs", "latest"))
	// latest sorts before run1, yet the files are reported under their own directory's name.
	assertWalk(t, walkRel(t, dir, "outputs"), "outputs/run1/a.ckpt checkpoint", "outputs/run1/a.ckpt.metadata.yaml sidecar")
	// Named through the link, the file is still the same file.
	assertWalk(t, walkRel(t, dir, "outputs", "outputs/latest/a.ckpt.metadata.yaml"), "outputs/run1/a.ckpt checkpoint", "outputs/run1/a.ckpt.metadata.yaml sidecar")
	// Given alone, the link is a root like any directory.
	assertWalk(t, walkRel(t, dir, "outputs/latest"), "outputs/latest/a.ckpt checkpoint", "outputs/latest/a.ckpt.metadata.yaml sidecar")
}

func TestWalkLinkOutsideRootsIsFollowedOnce(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "elsewhere/x.metadata.yaml", "outputs/run/y.metadata.yaml")
	symlink(t, filepath.Join(dir, "elsewhere"), filepath.Join(dir, "outputs", "b-link"))
	symlink(t, filepath.Join(dir, "elsewhere"), filepath.Join(dir, "outputs", "run", "a-link"))
	// Two links to one directory outside the roots: walked once, through the first link found
	// (outputs/b-link: a directory's links come before its subdirectories' links).
	assertWalk(t, walkRel(t, dir, "outputs"), "outputs/b-link/x.metadata.yaml sidecar", "outputs/run/y.metadata.yaml sidecar")
}

func TestWalkAncestorLinkIsALoop(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "run/ok.metadata.yaml", "run/sub/s.metadata.yaml")
	symlink(t, "..", filepath.Join(dir, "run", "sub", "up"))
	symlink(t, "../run", filepath.Join(dir, "run", "self"))
	assertWalk(t, walkRel(t, dir, "run"),
		"run/ok.metadata.yaml sidecar",
		"run/self LOOP->run",
		"run/sub/s.metadata.yaml sidecar",
		"run/sub/up LOOP->run")
	// A loop inside a directory reached through a link names the link as walked.
	write(t, dir, "top/keep.metadata.yaml")
	symlink(t, filepath.Join(dir, "run"), filepath.Join(dir, "top", "runs"))
	assertWalk(t, walkRel(t, dir, "top"),
		"top/keep.metadata.yaml sidecar",
		"top/runs/ok.metadata.yaml sidecar",
		"top/runs/self LOOP->top/runs",
		"top/runs/sub/s.metadata.yaml sidecar",
		"top/runs/sub/up LOOP->top/runs")
}

func TestWalkLexicalOrder(t *testing.T) {
	dir := t.TempDir()
	// Depth first by entry name would put a/… before a-b/… ('-' sorts before '/').
	write(t, dir, "a/x.metadata.yaml", "a-b/y.metadata.yaml", "a.b/z.metadata.yaml", "a0.metadata.yaml")
	assertWalk(t, walkRel(t, dir, "a0.metadata.yaml", "."),
		"a-b/y.metadata.yaml sidecar", "a.b/z.metadata.yaml sidecar", "a/x.metadata.yaml sidecar", "a0.metadata.yaml sidecar")
	// Roots are ordered too: the result does not depend on the order they were given in.
	assertWalk(t, walkRel(t, dir, "a", "a-b"), "a-b/y.metadata.yaml sidecar", "a/x.metadata.yaml sidecar")
}

func TestWalkMissingRootNamedTwice(t *testing.T) {
	dir := t.TempDir()
	assertWalk(t, walkRel(t, dir, "gone.metadata.yaml", "gone.metadata.yaml"), "gone.metadata.yaml ERR")
}

func TestWalkCancelled(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a/x.metadata.yaml")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	err := Walk(ctx, []string{dir}, nil, func(string, Kind, error) { called = true })
	if !errors.Is(err, context.Canceled) || called {
		t.Fatalf("cancelled walk: err %v, callback called %v", err, called)
	}
}

func TestLoopErrorMessage(t *testing.T) {
	e := &LoopError{Link: "run/sub/up", Ancestor: "run"}
	if got := e.Error(); !strings.Contains(got, "run/sub/up leads back to run") {
		t.Fatalf("message %q", got)
	}
}
