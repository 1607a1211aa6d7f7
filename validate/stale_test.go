package validate

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ckptmeta/ckptmeta/internal/ckpt"
	"github.com/ckptmeta/ckptmeta/internal/testenv"
)

// sidecar11 is the seed sample as 1.1 with the fingerprint of the checkpoint at ckptPath.
func sidecar11(t *testing.T, ckptPath string) []byte {
	t.Helper()
	fp, err := ckpt.FingerprintFile(ckptPath)
	if err != nil {
		t.Fatal(err)
	}
	seed := seedNaming(t, filepath.Base(ckptPath))
	seed = strings.Replace(seed, "schema_version: '1.0'", "schema_version: '1.1'", 1)
	return []byte(seed + fmt.Sprintf("checkpoint_fingerprint:\n  size: %d\n  mtime: '%s'\n  data_pkl_sha256: %s\n",
		fp.Size, fp.ModTime.UTC().Format(time.RFC3339Nano), fp.PickleSHA256))
}

func TestStale(t *testing.T) {
	dir := t.TempDir()
	ck := filepath.Join(dir, "best.ckpt")
	side := ck + ".metadata.yaml"
	testenv.CopyFile(t, "../testdata/ckpt/lightning2.ckpt", ck)
	if err := os.WriteFile(side, sidecar11(t, ck), 0o644); err != nil {
		t.Fatal(err)
	}
	v := New(nil, Options{})
	check := func(name string, wantStale bool) {
		t.Helper()
		r := v.ValidateFile(side)
		got := false
		for _, f := range r.Findings {
			if f.Rule == "sidecar/stale" {
				got = true
				if f.Severity != SeverityWarning || f.Pointer != "/checkpoint_fingerprint" {
					t.Errorf("%s: stale finding %+v", name, f)
				}
			} else {
				t.Errorf("%s: unexpected finding %+v", name, f)
			}
		}
		if got != wantStale {
			t.Errorf("%s: stale = %v, want %v", name, got, wantStale)
		}
	}
	check("fresh", false)
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(ck, later, later); err != nil {
		t.Fatal(err)
	}
	check("touched, same pickle", false)
	testenv.CopyFile(t, "../testdata/ckpt/unique_callback.ckpt", ck) // a later save overwrote it
	check("overwritten", true)
	if r := New(nil, Options{NoStale: true}).ValidateFile(side); len(r.Findings) != 0 {
		t.Errorf("NoStale still reports %v", r.Findings)
	}
}
