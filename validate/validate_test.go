package validate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// at is a finding reduced to what the tests pin: rule, line, column, severity.
type at struct {
	Rule      string
	Line, Col int
	Sev       Severity
}

func pin(fs []Finding) []at {
	out := []at{}
	for _, f := range fs {
		if f.Rule == "sidecar/orphan" { // the corpus has no checkpoints; orphans are tested apart
			continue
		}
		out = append(out, at{f.Rule, f.Line, f.Column, f.Severity})
	}
	return out
}

const E, W = SeverityError, SeverityWarning

func TestCorpus(t *testing.T) {
	cases := []struct {
		file    string
		status  Status
		version string
		want    []at
	}{
		{"valid/seed.ckpt.metadata.yaml", StatusValid, "1.0", []at{}},
		{"valid/convert-omits-nulls.metadata.yaml", StatusValid, "1.0", []at{}},
		{"valid/design-doc.metadata.yaml", StatusValid, "1.0", []at{}},
		{"invalid/unquoted-version-and-timestamp.metadata.yaml", StatusInvalid, "1.0", []at{
			{"yaml/unquoted-version", 2, 17, E}, {"yaml/unquoted-timestamp", 5, 13, E}}},
		{"invalid/duplicate-key.ckpt.metadata.yaml", StatusInvalid, "1.0", []at{{"yaml/duplicate-key", 8, 3, E}}},
		{"invalid/repeated-same-value.metadata.yml", StatusInvalid, "1.0", []at{
			{"sidecar/yml-name", 1, 1, W}, {"yaml/duplicate-key", 11, 3, E}, {"yaml/duplicate-key", 34, 1, E}}},
		{"invalid/bounds-and-types.metadata.yaml", StatusInvalid, "1.0", []at{
			{"sidecar/path-escapes", 2, 18, E}, {"schema/minimum", 6, 10, E}, {"schema/enum", 8, 19, E},
			{"schema/minimum", 9, 15, E}, {"yaml/truthy", 14, 17, W}, {"schema/type", 17, 22, E},
			{"schema/type", 21, 21, E}, {"schema/maximum", 23, 14, E}, {"schema/unknown-key", 25, 3, W},
			{"schema/enum", 28, 9, E}}},
		{"invalid/design-drift.metadata.yaml", StatusInvalid, "1.0", []at{
			{"schema/unknown-key", 9, 3, W}, {"schema/type", 12, 12, E}, {"schema/type", 13, 12, E},
			{"schema/type", 14, 9, E}, {"schema/type", 15, 9, E}, {"schema/unknown-key", 17, 3, W},
			{"schema/unknown-key", 18, 3, W}, {"schema/unknown-key", 19, 3, W}, {"schema/unknown-key", 20, 3, W}}},
		{"invalid/future-version.metadata.yaml", StatusInvalid, "3.0", []at{{"sidecar/unknown-version", 1, 17, E}}},
		{"invalid/broken-syntax.metadata.yaml", StatusInvalid, "", []at{{"yaml/syntax", 4, 2, E}}}, // PyYAML: line 4 column 2
		{"legacy/v0.metadata.json", StatusInvalid, "0", []at{{"sidecar/legacy", 1, 1, E}}},
		{"legacy/unversioned.metadata.yaml", StatusInvalid, "0", []at{{"sidecar/legacy", 1, 1, E}}},
	}
	v := New(nil, Options{})
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			r := v.ValidateFile(filepath.Join("..", "testdata", "sidecars", c.file))
			if r.Status != c.status || r.Version != c.version {
				t.Errorf("status %v version %q, want %v %q", r.Status, r.Version, c.status, c.version)
			}
			if got := pin(r.Findings); !reflect.DeepEqual(got, c.want) {
				t.Errorf("findings:\n got %v\nwant %v\n%s", got, c.want, dump(r.Findings))
			}
		})
	}
}

func dump(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "  %d:%d %s %s [%s]\n", f.Line, f.Column, f.Severity, f.Message, f.Rule)
	}
	return b.String()
}

func TestMessages(t *testing.T) {
	v := New(nil, Options{})
	r := v.ValidateFile("../testdata/sidecars/invalid/bounds-and-types.metadata.yaml")
	want := map[string]string{
		"/training/epoch":          "training.epoch: must be >= 0, got -1",
		"/training/training_phase": `training.training_phase: "testing" is not one of training, validation, finetuning`,
		"/metrics/val_hmean":       "metrics.val_hmean: unknown key",
		"/model/loss/params/alpha": "model.loss.params.alpha: got string, want number",
	}
	for _, f := range r.Findings {
		if w, ok := want[f.Pointer]; ok {
			if f.Message != w {
				t.Errorf("%s: message %q, want %q", f.Pointer, f.Message, w)
			}
			delete(want, f.Pointer)
		}
	}
	if len(want) > 0 {
		t.Errorf("no findings at %v", want)
	}
}

func TestStrictMakesUnknownKeysErrors(t *testing.T) {
	r := New(nil, Options{Strict: true}).ValidateFile("../testdata/sidecars/invalid/design-drift.metadata.yaml")
	for _, f := range r.Findings {
		if f.Rule == "schema/unknown-key" && f.Severity != SeverityError {
			t.Fatalf("unknown key is %v under strict", f.Severity)
		}
	}
	warnOnly := []byte(strings.Replace(readFile(t, "../testdata/sidecars/valid/seed.ckpt.metadata.yaml"), "wandb_run_id: null", "wandb_run_id: null\nnotes: hand-written", 1))
	lax := New(nil, Options{}).ValidateBytes("x.metadata.yaml", warnOnly)
	if lax.Status != StatusValid || !lax.Failed(true) || lax.Failed(false) {
		t.Fatalf("warning-only file: status %v, failed(strict)=%v failed(lax)=%v", lax.Status, lax.Failed(true), lax.Failed(false))
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseValues(t *testing.T) {
	src := `schema_version: '1.0'
a: yes
b: 0x1F
c: 017
d: 1e3
e: 1_000.5
i: 1:30.5
j: -1:30
k: 0b1_0
f: ~
g: 2025-01-02
h: !!str 12
base: &b {x: 1, y: 2}
merged:
  <<: *b
  y: 3
`
	doc, fs := Parse("p.yaml", []byte(src))
	if doc == nil {
		t.Fatal(fs)
	}
	m := doc.Value.(map[string]any)
	want := map[string]any{"a": true, "b": "31", "c": "15", "d": "1e3", "e": "1000.5", "f": nil, "g": "2025-01-02", "h": "12", "i": "90.5", "j": "-90", "k": "2"}
	for k, w := range want {
		got := m[k]
		if n, ok := Number(got); ok && k != "d" && k != "h" && k != "i" {
			got = strings.TrimSuffix(fmt.Sprint(n), ".0")
			if k == "e" {
				got = "1000.5"
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(w) {
			t.Errorf("%s = %#v, want %#v", k, m[k], w)
		}
	}
	if mm := m["merged"].(map[string]any); fmt.Sprint(mm["x"]) != "1" || fmt.Sprint(mm["y"]) != "3" {
		t.Errorf("merge = %v", mm)
	}
	rules := map[string]bool{}
	for _, f := range fs {
		rules[f.Rule] = true
	}
	if !rules["yaml/truthy"] || !rules["yaml/unquoted-timestamp"] {
		t.Errorf("findings %v", fs)
	}
}

func TestParseRejects(t *testing.T) {
	laughs := "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
	cases := []struct{ name, src, rule string }{
		{"empty", "", "yaml/empty"},
		{"comments only", "# nothing\n", "yaml/empty"},
		{"alias bomb", laughs, "yaml/alias-budget"},
		{"too large", strings.Repeat("#", MaxFileSize+1), "yaml/too-large"},
		{"nan", "a: .nan\n", "yaml/non-finite-number"},
		{"tab indent", "a:\n\tb: 1\n", "yaml/syntax"},
		{"not utf8", "a: \xff\xfe\n", "yaml/syntax"},
		// Plain scalars PyYAML resolves but safe_load cannot construct (issue 8: "exp_name: ="
		// validated clean while safe_load raised a ConstructorError).
		{"value tag", "exp_name: =\n", "yaml/unloadable"},
		{"merge as value", "exp_name: <<\n", "yaml/unloadable"},
		{"value as key", "=: 1\n", "yaml/unloadable"},
		{"empty binary int", "a: 0b_\n", "yaml/unloadable"},
		{"int over 4300 digits", "a: 1" + strings.Repeat("0", 4300) + "\n", "yaml/unloadable"},
		{"date that does not exist", "a: 2025-02-30\n", "yaml/unloadable"}, // safe_load raises: a refusal, not a misreading
		{"float overflow", "a: 1.0e+999\n", "yaml/non-finite-number"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, fs := Parse("x.yaml", []byte(c.src))
			for _, f := range fs {
				if f.Rule == c.rule {
					return
				}
			}
			t.Errorf("no %s finding in %v", c.rule, fs)
		})
	}
	r := New(nil, Options{}).ValidateBytes("x.yaml", []byte("- a\n- b\n"))
	if r.Status != StatusInvalid || r.Findings[0].Rule != "schema/type" {
		t.Errorf("a list document: %+v", r)
	}
}

// seedNaming is the seed sample with checkpoint_path set to recorded, so it can sit beside
// that checkpoint without being sidecar/misplaced.
func seedNaming(t *testing.T, recorded string) string {
	t.Helper()
	seed := readFile(t, "../testdata/sidecars/valid/seed.ckpt.metadata.yaml")
	const was = "checkpoint_path: ocr_training-dbnet-pan_decoder-mobilenetv3_small_050_33/checkpoints/best.ckpt\n"
	if !strings.Contains(seed, was) {
		t.Fatal("the seed sample no longer records the checkpoint path this test replaces")
	}
	return strings.Replace(seed, was, "checkpoint_path: "+recorded+"\n", 1)
}

func TestNeighbours(t *testing.T) {
	dir := t.TempDir()
	seed := seedNaming(t, "best.ckpt")
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("best.ckpt", "not read by validate")
	a := write("best.ckpt.metadata.yaml", seed)
	b := write("best.metadata.yaml", seed)
	orphan := write("gone.metadata.yaml", seed)
	v := New(nil, Options{})
	for _, p := range []string{a, b} {
		r := v.ValidateFile(p)
		if r.Status != StatusInvalid || len(r.Findings) != 1 || r.Findings[0].Rule != "sidecar/conflict" {
			t.Errorf("%s: %v", p, dump(r.Findings))
		}
	}
	r := v.ValidateFile(orphan)
	if r.Status != StatusValid || len(r.Findings) != 1 || r.Findings[0].Rule != "sidecar/orphan" || r.Findings[0].Severity != W {
		t.Errorf("orphan: %v", dump(r.Findings))
	}
	// Run answers the same from its cached directory listings as ValidateFile does from stat.
	var viaRun []*Result
	if err := v.Run(context.Background(), []string{dir}, func(r *Result) { viaRun = append(viaRun, r) }); err != nil {
		t.Fatal(err)
	}
	for _, r := range viaRun {
		direct := v.ValidateFile(r.Path)
		if !reflect.DeepEqual(pin(r.Findings), pin(direct.Findings)) || len(r.Findings) != len(direct.Findings) {
			t.Errorf("%s: Run found %v, ValidateFile %v", r.Path, dump(r.Findings), dump(direct.Findings))
		}
	}
	if len(viaRun) != 3 {
		t.Errorf("Run saw %d files, want 3", len(viaRun))
	}
	fifo := filepath.Join(dir, "pipe.metadata.yaml")
	if err := mkfifo(fifo); err == nil {
		r := v.ValidateFile(fifo)
		if r.Status != StatusError || !errors.Is(r.Err, ErrNotRegular) {
			t.Errorf("fifo: %+v", r)
		}
	}
}

// TestLinkedCheckpoints: Run skips the stat of a checkpoint its directory listing shows as a
// regular file; a checkpoint that is a link still gets one, so a dangling link is an orphan
// and a link to a real file is not, in Run as in ValidateFile.
func TestLinkedCheckpoints(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "real.bin"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{"good.ckpt": "real.bin", "dangling.ckpt": "missing.bin"}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Skipf("no symbolic links here: %v", err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".metadata.yaml"), []byte(seedNaming(t, name)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "plain.ckpt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "plain.ckpt.metadata.yaml"), []byte(seedNaming(t, "plain.ckpt")), 0o644); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"dangling.ckpt.metadata.yaml": "sidecar/orphan", "good.ckpt.metadata.yaml": "", "plain.ckpt.metadata.yaml": ""}
	v := New(nil, Options{})
	seen := 0
	if err := v.Run(context.Background(), []string{dir}, func(r *Result) {
		if !strings.HasSuffix(r.Path, ".metadata.yaml") {
			return // the dangling link itself is the walk's file/unreadable
		}
		seen++
		got := ""
		for _, f := range r.Findings {
			got += f.Rule
		}
		if w, ok := want[filepath.Base(r.Path)]; !ok || got != w {
			t.Errorf("%s: Run found %q, want %q", r.Path, got, w)
		}
		if direct := v.ValidateFile(r.Path); !reflect.DeepEqual(direct.Findings, r.Findings) {
			t.Errorf("%s: Run found %v, ValidateFile %v", r.Path, dump(r.Findings), dump(direct.Findings))
		}
	}); err != nil {
		t.Fatal(err)
	}
	if seen != len(want) {
		t.Errorf("Run saw %d files, want %d", seen, len(want))
	}
}

func TestRunOrderAndErrors(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs symlinks (Unix)")
	}
	dir := t.TempDir()
	var want []string
	for i := 0; i < 50; i++ {
		p := filepath.Join(dir, fmt.Sprintf("run%02d", i), "checkpoints", "best.ckpt.metadata.yaml")
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(seedNaming(t, fmt.Sprintf("run%02d/checkpoints/best.ckpt", i))), 0o644)
		os.WriteFile(filepath.Join(filepath.Dir(p), "best.ckpt"), nil, 0o644)
		want = append(want, filepath.ToSlash(p))
	}
	loop := filepath.Join(dir, "zz.metadata.yaml")
	os.Symlink(loop, loop)
	want = append(want, filepath.ToSlash(loop))
	// One lexical order for found and given paths alike (sidecar.Walk's).
	missing := filepath.Join(dir, "missing.metadata.yaml")
	want = append([]string{filepath.ToSlash(missing)}, want...)
	var got []string
	var sum Summary
	err := New(nil, Options{Jobs: 3}).Run(context.Background(), []string{dir, missing}, func(r *Result) {
		got = append(got, r.Path)
		sum.Add(r)
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("order:\n got %v\nwant %v", got, want)
	}
	if sum.Files != 52 || sum.Valid != 50 || sum.Errored != 2 {
		t.Errorf("summary %+v", sum)
	}
}

// TestPanicBecomesResult: a bug while checking one file (here a Validator without a
// registry, which dereferences nil) becomes an error result for that file, not a crash.
func TestPanicBecomesResult(t *testing.T) {
	v := &Validator{}
	r := v.safeValidateFile(&Session{v: v}, "../testdata/sidecars/valid/seed.ckpt.metadata.yaml", nil)
	if r.Status != StatusError || !errors.Is(r.Err, ErrInternal) || r.Findings[0].Rule != "internal/error" {
		t.Fatalf("got %+v", r)
	}
}
