package migrate

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestRunSharedSidecars runs over a copy of the shared testdata/sidecars corpus (no
// checkpoints beside them): what migrates is written and valid, what is broken is
// reported with the reason and left byte-for-byte alone.
func TestRunSharedSidecars(t *testing.T) {
	dir := t.TempDir()
	src, _ := filepath.Glob("../testdata/sidecars/*/*")
	for _, p := range src {
		put(t, filepath.Join(dir, filepath.Base(filepath.Dir(p)), filepath.Base(p)), readFixture(t, p), 0o644)
	}
	before := snapshot(t, dir)
	_, rs := runAll(t, []string{dir}, Options{})
	type want struct {
		written bool
		check   func(error) bool
	}
	isRegenNoCkpt := func(err error) bool {
		var re *RegenError
		return errors.As(err, &re) && errors.Is(err, ErrNoCheckpoint)
	}
	isNewer := func(err error) bool { var ne *NewerVersionError; return errors.As(err, &ne) }
	wants := map[string]want{
		"convert-omits-nulls.metadata.yaml":            {written: true},
		"design-doc.metadata.yaml":                     {written: true},
		"seed.ckpt.metadata.yaml":                      {written: true},
		"unversioned.metadata.yaml":                    {written: true},
		"v0.metadata.json":                             {written: true},
		"unquoted-version-and-timestamp.metadata.yaml": {written: true},
		"bounds-and-types.metadata.yaml":               {check: isRegenNoCkpt},
		"broken-syntax.metadata.yaml":                  {check: isRegenNoCkpt},
		"design-drift.metadata.yaml":                   {check: isRegenNoCkpt},
		"duplicate-key.ckpt.metadata.yaml":             {check: isRegenNoCkpt},
		"repeated-same-value.metadata.yml":             {check: isRegenNoCkpt},
		"two-documents.metadata.yaml":                  {check: isRegenNoCkpt},
		"future-version.metadata.yaml":                 {check: isNewer},
	}
	if len(rs) != len(wants) {
		t.Errorf("%d results for %d fixtures", len(rs), len(wants))
	}
	for _, r := range rs {
		w, ok := wants[filepath.Base(r.Path)]
		if !ok {
			t.Errorf("unexpected file %s", r.Path)
			continue
		}
		if w.written {
			if r.Err != nil || !r.Written {
				t.Errorf("%s: %+v", r.Path, r)
				continue
			}
			assertValid(t, "2.0", readFixture(t, r.Output))
			continue
		}
		if !w.check(r.Err) || r.Written {
			t.Errorf("%s: err = %v, written = %v", r.Path, r.Err, r.Written)
		}
		if _, err := os.Stat(r.Path); err != nil || snapshot(t, r.Path)[r.Path] != before[r.Path] {
			t.Errorf("%s was touched", r.Path)
		}
	}
}
