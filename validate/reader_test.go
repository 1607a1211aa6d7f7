package validate

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestValidateReaderAsFile: bytes read as the file name get exactly the findings
// ValidateFile gives that file, neighbour checks included, and the file itself is never read.
func TestValidateReaderAsFile(t *testing.T) {
	dir := t.TempDir()
	seed := seedNaming(t, "best.ckpt")
	for name, body := range map[string]string{
		"best.ckpt": "not read by validate", "best.ckpt.metadata.yaml": seed, "gone.metadata.yaml": seed,
		"old.metadata.json": `{"checkpoint_path": "best.ckpt", "config": {}}`,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	v := New(nil, Options{})
	for _, name := range []string{"best.ckpt.metadata.yaml", "gone.metadata.yaml", "old.metadata.json"} {
		p := filepath.ToSlash(filepath.Join(dir, name))
		body, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		want := v.ValidateFile(p)
		got := v.ValidateReader(p, strings.NewReader(string(body)))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: ValidateReader %+v, ValidateFile %+v", name, got, want)
		}
	}
	// A second YAML sidecar of best.ckpt, read from stdin, conflicts with the one on disk;
	// one named like the file on disk does not conflict with itself, and it is stdin's bytes
	// that are checked (here broken), not the file's.
	r := v.ValidateReader(filepath.Join(dir, "best.metadata.yaml"), strings.NewReader(seed))
	if len(r.Findings) != 1 || r.Findings[0].Rule != "sidecar/conflict" {
		t.Errorf("conflict: %v", dump(r.Findings))
	}
	r = v.ValidateReader(filepath.Join(dir, "best.ckpt.metadata.yaml"), strings.NewReader(seed+"exp_name: twice\n"))
	if r.Status != StatusInvalid || len(r.Findings) != 1 || r.Findings[0].Rule != "yaml/duplicate-key" {
		t.Errorf("stdin's bytes: %v", dump(r.Findings))
	}
}

// TestValidateReaderNameless: without a name the path is "-", the text is YAML whatever it
// looks like, and nothing beside it is consulted.
func TestValidateReaderNameless(t *testing.T) {
	v := New(nil, Options{})
	r := v.ValidateReader("", strings.NewReader(`{"checkpoint_path": "nowhere/x.ckpt", "config": {}}`))
	if r.Path != StdinName || len(r.Findings) != 1 || r.Findings[0].Rule != "sidecar/legacy" ||
		r.Findings[0].Message != "legacy V0 sidecar without schema_version" || r.Findings[0].Path != StdinName {
		t.Errorf("got %+v", r)
	}
	if !reflect.DeepEqual(v.ValidateReader("", strings.NewReader("a: [")), v.ValidateBytes(StdinName, []byte("a: ["))) {
		t.Error("nameless ValidateReader differs from ValidateBytes")
	}
}

// endless is a reader that never runs out.
type endless struct{ read int64 }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '#'
	}
	e.read += int64(len(p))
	return len(p), nil
}

type failing struct{}

func (failing) Read([]byte) (int, error) { return 0, errors.New("device gone") }

// TestValidateReaderBounded: input is bounded like a file (an endless pipe stops after
// MaxFileSize+1 bytes and is yaml/too-large); a read error is file/unreadable.
func TestValidateReaderBounded(t *testing.T) {
	v := New(nil, Options{})
	src := &endless{}
	r := v.ValidateReader("", src)
	if r.Status != StatusInvalid || len(r.Findings) != 1 || r.Findings[0].Rule != "yaml/too-large" ||
		r.Findings[0].Message != "file is larger than 1048576 bytes; sidecars that large are not read" {
		t.Errorf("too large: %+v", r)
	}
	if src.read > MaxFileSize+1+64*1024 {
		t.Errorf("read %d bytes of an endless input", src.read)
	}
	r = v.ValidateReader("", io.MultiReader(strings.NewReader("a: 1\n"), failing{}))
	if r.Status != StatusError || r.Path != StdinName || r.Findings[0].Rule != "file/unreadable" ||
		r.Findings[0].Message != "read: device gone" {
		t.Errorf("read error: %+v", r)
	}
}
