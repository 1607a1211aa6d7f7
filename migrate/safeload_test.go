package migrate

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckptmeta/ckptmeta/validate"
)

// TestRunRefusesOutputValidateRefuses: a 1.0 sidecar just under validate's size limit
// grows past it when migrated (provenance, quoting). It used to be written, and validate
// then refused it; now nothing is written and the file's error says why.
func TestRunRefusesOutputValidateRefuses(t *testing.T) {
	root, ck := outputsTree(t)
	p := filepath.Join(ck, "last.ckpt.metadata.yaml")
	seed := readFixture(t, "testdata/golden/1.0_1.1/seed-comments.in.yaml")
	pad := validate.MaxFileSize - len(seed) - len("notes: ''\n") - 20
	in := append(append([]byte(nil), seed...), []byte("notes: '"+strings.Repeat("x", pad)+"'\n")...)
	put(t, p, in, 0o644)
	if r := validate.New(nil, validate.Options{}).ValidateBytes(p, in); r.Status != validate.StatusValid {
		t.Fatalf("the input must be valid: %v", r.Findings)
	}
	for _, dry := range []bool{true, false} {
		_, rs := runAll(t, []string{root}, Options{DryRun: dry})
		r := byPath(rs)["last.ckpt.metadata.yaml"]
		var oe *OutputError
		if r == nil || !errors.As(r.Err, &oe) || r.Written || r.Regenerated {
			t.Fatalf("dry=%v: result %+v", dry, r)
		}
		if !strings.Contains(r.Err.Error(), "last.ckpt.metadata.yaml: not written: the migrated file would be") {
			t.Errorf("message: %v", r.Err)
		}
		if got := readFixture(t, p); !bytes.Equal(got, in) {
			t.Errorf("dry=%v: the sidecar was replaced", dry)
		}
	}
}

// TestMigrateNeverWritesUnsafeTags: what yaml.safe_load refuses is never migrated and
// written back: it is refused (NoRegenerate, or a regeneration whose merge would carry it
// over) or rebuilt from the checkpoint without it.
func TestMigrateNeverWritesUnsafeTags(t *testing.T) {
	seed := string(readFixture(t, "testdata/golden/1.0_1.1/seed-comments.in.yaml"))
	for _, extra := range []string{
		"notes: !!python/object/apply:os.system ['id']\n",
		"notes: !!python/name:os.system\n",
		"notes: !foo x\n",
		"notes: !!int abc\n",
		"notes: &a 1\nmore: &a 2\n",
		"notes:\t1\n",
		"0b_: 1\n",
	} {
		src := []byte(seed + extra)
		_, err := MigrateBytes("x.metadata.yaml", src, Options{})
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%q: err = %v, want a ParseError", extra, err)
			continue
		}
		root, ck := outputsTree(t)
		p := filepath.Join(ck, "last.ckpt.metadata.yaml")
		put(t, p, src, 0o644)
		_, rs := runAll(t, []string{root}, Options{NoRegenerate: true})
		if r := byPath(rs)["last.ckpt.metadata.yaml"]; r == nil || r.Err == nil || r.Written {
			t.Errorf("%q, no regeneration: %+v", extra, r)
		}
		_, rs = runAll(t, []string{root}, Options{})
		r := byPath(rs)["last.ckpt.metadata.yaml"]
		out := readFixture(t, p)
		if r != nil && r.Err != nil && !r.Written {
			// Regeneration merges the old sidecar; when what it would carry over is still
			// refused, generate refuses to write it: the file stays as it was.
			if !bytes.Equal(out, src) {
				t.Errorf("%q: failed but the file changed", extra)
			}
			continue
		}
		if r == nil || !r.Regenerated || !r.Written {
			t.Errorf("%q: want regenerated or refused: %+v", extra, r)
			continue
		}
		if bytes.Contains(out, []byte("!")) && bytes.Contains(out, []byte(strings.TrimSpace(extra))) {
			t.Errorf("%q was written back:\n%s", extra, out)
		}
		if res := validate.New(nil, validate.Options{NoStale: true}).ValidateBytes(p, out); validate.RefusedBySafeLoad(res.Findings) {
			t.Errorf("%q: the regenerated file is refused: %v", extra, res.Findings)
		}
	}
}

// TestMigrateQuotesPlainUnloadable: a plain value safe_load cannot construct (0b_, a
// date that does not exist) is the author's text; migrate quotes it, as it quotes
// timestamps, and the result loads.
func TestMigrateQuotesPlainUnloadable(t *testing.T) {
	seed := string(readFixture(t, "testdata/golden/1.0_1.1/seed-comments.in.yaml"))
	src := []byte(seed + "notes: 0b_\nwhen: 2025-02-30\n")
	m, err := MigrateBytes("x.metadata.yaml", src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(m.Data, []byte("notes: '0b_'")) || !bytes.Contains(m.Data, []byte("when: '2025-02-30'")) {
		t.Errorf("not quoted:\n%s", m.Data)
	}
	if _, fs := validate.Parse("x.metadata.yaml", m.Data); validate.RefusedBySafeLoad(fs) {
		t.Errorf("refused: %v", fs)
	}
}
