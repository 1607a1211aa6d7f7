package sidecar

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

func TestCheckpointFor(t *testing.T) {
	cases := []struct{ in, want string }{
		{"run/checkpoints/best.ckpt.metadata.yaml", "run/checkpoints/best.ckpt"},
		{"run/checkpoints/best.metadata.yaml", "run/checkpoints/best.ckpt"},
		{"run/checkpoints/best.metadata.yml", "run/checkpoints/best.ckpt"},
		{"run/checkpoints/best.ckpt.metadata.yml", "run/checkpoints/best.ckpt"},
		{"run/checkpoints/best.metadata.json", "run/checkpoints/best.ckpt"},
		{"c/best-hmean-0.8920.metadata.yaml", "c/best-hmean-0.8920.ckpt"},
		{"c/epoch=10-step=1133.ckpt.metadata.yaml", "c/epoch=10-step=1133.ckpt"},
	}
	for _, c := range cases {
		if got := CheckpointFor(c.in); got != c.want {
			t.Errorf("CheckpointFor(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestCandidatesAndPath(t *testing.T) {
	got := Candidates("a/best.ckpt")
	want := []string{"a/best.ckpt.metadata.yaml", "a/best.metadata.yaml", "a/best.ckpt.metadata.yml", "a/best.metadata.yml", "a/best.metadata.json"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Candidates = %v", got)
	}
	if p := Path("a/best.ckpt", NamingStem); p != "a/best.metadata.yaml" {
		t.Errorf("stem path = %s", p)
	}
	if p := Path("a/best.ckpt", NamingCkpt); p != "a/best.ckpt.metadata.yaml" {
		t.Errorf("ckpt path = %s", p)
	}
	for _, c := range Candidates("x/y.ckpt") {
		if CheckpointFor(c) != "x/y.ckpt" {
			t.Errorf("CheckpointFor(%s) does not round-trip", c)
		}
	}
}

func TestExperiment(t *testing.T) {
	cases := []struct{ in, want string }{
		{"outputs/exp_a/checkpoints/best.ckpt", "exp_a"},
		{"outputs/exp_a/checkpoints/val/hmean=0.8920-best.ckpt", "exp_a"},
		{"outputs/experiments/train/ocr/pan_resnet18_add_polygons_canonical/20241019_0033_00/checkpoints/e.ckpt", "pan_resnet18_add_polygons_canonical"},
		{"outputs/experiments/train/ocr/parseq_baseline/20260111_104512_42/checkpoints/e.ckpt", "parseq_baseline"},
		{"outputs/2025-10-19/13-36-50/checkpoints/e.ckpt", "2025-10-19"},
		{"outputs/a/checkpoints/nested_run/checkpoints/epoch-18_step-001957.ckpt", "nested_run"},
		{"outputs/exp_b/run/model.ckpt", "exp_b"},
	}
	for _, c := range cases {
		if got := Experiment(c.in); got != c.want {
			t.Errorf("Experiment(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

type seen struct {
	path string
	kind Kind
	err  error
}

func walk(roots []string, exclude ...string) []seen {
	var out []seen
	err := Walk(context.Background(), roots, exclude, func(p string, k Kind, err error) { out = append(out, seen{filepath.ToSlash(p), k, err}) })
	if err != nil {
		panic(err) // only a cancelled context makes Walk fail
	}
	return out
}

func write(t *testing.T, root string, names ...string) {
	t.Helper()
	for _, n := range names {
		p := filepath.Join(root, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestWalk(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs symlinks (Unix)")
	}
	root := t.TempDir()
	write(t, root,
		"b/checkpoints/last.ckpt", "b/checkpoints/last.metadata.yaml",
		"a/checkpoints/best.ckpt", "a/checkpoints/best.ckpt.metadata.yaml", "a/checkpoints/best.metadata.json",
		"a/.hydra/config.yaml", "a/notes.txt", "skip/checkpoints/x.ckpt",
		"b/checkpoints/sharded.ckpt/meta.pt")
	// A symlink loop back to the root and a dangling sidecar link.
	symlink(t, root, filepath.Join(root, "a", "loop"))
	symlink(t, filepath.Join(root, "nowhere"), filepath.Join(root, "b", "checkpoints", "gone.metadata.yaml"))
	got := walk([]string{root}, "skip")
	rel := func(s seen) string { return strings.TrimPrefix(s.path, filepath.ToSlash(root)+"/") }
	var names []string
	for _, s := range got {
		tag := s.kind.String()
		if s.err != nil {
			tag = "ERR"
		}
		names = append(names, rel(s)+" "+tag)
	}
	want := []string{
		"a/checkpoints/best.ckpt checkpoint",
		"a/checkpoints/best.ckpt.metadata.yaml sidecar",
		"a/checkpoints/best.metadata.json legacy-json",
		"a/loop ERR",
		"b/checkpoints/gone.metadata.yaml ERR",
		"b/checkpoints/last.ckpt checkpoint",
		"b/checkpoints/last.metadata.yaml sidecar",
		"b/checkpoints/sharded.ckpt checkpoint",
	}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("walk order/kinds:\n got %q\nwant %q", names, want)
	}
	var loop *LoopError
	if !errors.As(got[3].err, &loop) || loop.Link != filepath.Join(root, "a", "loop") || loop.Ancestor != root {
		t.Errorf("loop error = %v, want a LoopError from a/loop back to the root", got[3].err)
	}
	if !errors.Is(got[4].err, fs.ErrNotExist) {
		t.Errorf("dangling link error = %v, want ErrNotExist", got[4].err)
	}
}

func TestWalkSelfLoopLink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs symlinks (Unix)")
	}
	root := t.TempDir()
	p := filepath.Join(root, "x.metadata.yaml")
	symlink(t, p, p)               // a link to itself: ELOOP
	got := walk([]string{root, p}) // the same path twice is reported once
	if len(got) != 1 || !errors.Is(got[0].err, ErrSymlinkLoop) {
		t.Fatalf("got %+v", got)
	}
}

func TestWalkFileRootsAndMissing(t *testing.T) {
	root := t.TempDir()
	write(t, root, "odd.yaml", "m.ckpt")
	got := walk([]string{filepath.Join(root, "odd.yaml"), filepath.Join(root, "m.ckpt"), filepath.Join(root, "missing.metadata.yaml")})
	// Lexical order: m.ckpt, missing.metadata.yaml, odd.yaml.
	if len(got) != 3 || got[0].kind != KindCheckpoint || !errors.Is(got[1].err, fs.ErrNotExist) || got[2].kind != KindSidecar {
		t.Fatalf("got %+v", got)
	}
}

func TestWalkUnreadableDir(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("chmod 0 does not stop reads on Windows")
	}
	if os.Geteuid() == 0 {
		t.Skip("root reads every directory; permission errors cannot be produced")
	}
	root := t.TempDir()
	write(t, root, "locked/a.metadata.yaml")
	if err := os.Chmod(filepath.Join(root, "locked"), 0); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(filepath.Join(root, "locked"), 0o755)
	got := walk([]string{root})
	if len(got) != 1 || !errors.Is(got[0].err, fs.ErrPermission) {
		t.Fatalf("got %+v", got)
	}
}

func TestReadName(t *testing.T) {
	for in, want := range map[string]string{
		"a/best.metadata.yml":      "a/best.metadata.yaml",
		"a/best.ckpt.metadata.yml": "a/best.ckpt.metadata.yaml",
		"a/best.metadata.yaml":     "",
		"a/best.metadata.json":     "",
		"a/.metadata.yml":          "",
		"a/best.yml":               "",
	} {
		got, ok := ReadName(in)
		if got != want || ok != (want != "") {
			t.Errorf("ReadName(%q) = %q, %v; want %q", in, got, ok, want)
		}
		if ok && CheckpointFor(got) != CheckpointFor(in) {
			t.Errorf("ReadName(%q) = %q describes another checkpoint", in, got)
		}
	}
}
