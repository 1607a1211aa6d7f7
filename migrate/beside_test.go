package migrate

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ckptmeta/ckptmeta/internal/sidecar"
)

// TestBesideFromListing: the checkpoint Run finds beside each sidecar through the walk's
// listing is the one a stat finds (a regular file, through links), for a plain checkpoint,
// a link to one, a dangling link, a directory with a checkpoint's name, none at all, and a
// sidecar named as a root; and a plain checkpoint is decided by the listing, not a stat.
func TestBesideFromListing(t *testing.T) {
	dir := t.TempDir()
	write := func(name string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("plain.ckpt")
	write("real.bin")
	if err := os.Mkdir(filepath.Join(dir, "dir.ckpt"), 0o755); err != nil {
		t.Fatal(err)
	}
	links := os.Symlink("real.bin", filepath.Join(dir, "good.ckpt")) == nil &&
		os.Symlink("missing.bin", filepath.Join(dir, "dangling.ckpt")) == nil
	names := []string{"plain", "dir", "none"}
	if links {
		names = append(names, "good", "dangling")
	}
	for _, n := range names {
		write(n + ".ckpt.metadata.yaml")
	}
	want := map[string]string{"plain": "plain.ckpt", "good": "good.ckpt"}
	check := func(items []item, root bool) {
		t.Helper()
		seen := 0
		for _, it := range items {
			if it.kind == sidecar.KindCheckpoint || it.err != nil {
				continue
			}
			seen++
			ckpt := sidecar.CheckpointFor(it.path)
			stat := ""
			if isRegular(ckpt) {
				stat = ckpt
			}
			if got := besideOf(it); got != stat {
				t.Errorf("%s: beside %q from the listing, %q from a stat", it.path, got, stat)
			}
			n := filepath.Base(ckpt)
			n = n[:len(n)-len(".ckpt")]
			if w := want[n]; w != "" && stat != filepath.Join(dir, w) {
				t.Errorf("%s: a stat finds %q, want %q", it.path, stat, w)
			}
			if n == "plain" && !root && it.ckpt != ckptRegular {
				t.Errorf("%s: the plain checkpoint was not decided by the listing (%d)", it.path, it.ckpt)
			}
		}
		if seen == 0 {
			t.Error("no sidecar walked")
		}
	}
	items, err := walkItems(context.Background(), []string{dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	check(items, false)
	// A sidecar named as a root, alone and beside its directory.
	one := filepath.Join(dir, "plain.ckpt.metadata.yaml")
	for _, roots := range [][]string{{one}, {one, dir}} {
		items, err := walkItems(context.Background(), roots, nil)
		if err != nil {
			t.Fatal(err)
		}
		check(items, len(roots) == 1)
	}
}
