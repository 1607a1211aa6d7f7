package validate

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// okBody is a valid 1.0 sidecar after its first line (schema_version), 12 lines long.
const okBody = `checkpoint_path: run/checkpoints/ok.ckpt
exp_name: run
created_at: '2025-10-19T13:36:50'
training: {epoch: 1, global_step: 3}
model:
  architecture: dbnet
  encoder: {model_name: resnet18}
  decoder: {name: pan_decoder}
  head: {name: db_head}
  loss: {name: db_loss}
metrics: {hmean: 0.9}
checkpointing: {monitor: a, mode: max}
`

// short renders findings as "line:col rule" lines, the part these tests judge.
func short(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "%d:%d %s\n", f.Line, f.Column, f.Rule)
	}
	return b.String()
}

func TestSuppressions(t *testing.T) {
	tests := []struct {
		name, src string
		want      string // short(findings)
		valid     bool
	}{
		{"none: the findings stand",
			"schema_version: '1.0'\nteam: x\nflag: yes\n" + okBody,
			"2:1 schema/unknown-key\n3:1 schema/unknown-key\n3:7 yaml/truthy\n", true},
		{"on the line",
			"schema_version: '1.0'\nteam: x # ckptmeta: disable=schema/unknown-key\n" + okBody,
			"", true},
		{"on the line, two rules and a reason",
			"schema_version: '1.0'\nflag: yes  #ckptmeta: disable=yaml/truthy,schema/unknown-key  accepted on 2025-10-19\n" + okBody,
			"", true},
		{"alone on the line before, past blank and comment lines",
			"schema_version: '1.0'\n# ckptmeta: disable=schema/unknown-key\n\n# why: the team's field\nteam: x\n" + okBody,
			"", true},
		{"only the line it names",
			"schema_version: '1.0'\n# ckptmeta: disable=schema/unknown-key\nteam: x\nother: y\n" + okBody,
			"4:1 schema/unknown-key\n", true},
		{"disable-file anywhere",
			"schema_version: '1.0'\nteam: x\nother: y\n" + okBody + "# ckptmeta: disable-file=schema/unknown-key\n",
			"", true},
		{"an error suppressed makes the file valid",
			"schema_version: '1.0'\n" + strings.Replace(okBody, "epoch: 1,", "epoch: -1, # ckptmeta: disable=schema/minimum\n ", 1),
			"", true},
		{"all",
			"schema_version: '1.0'\nflag: yes # ckptmeta: disable=all\n" + okBody,
			"", true},
		{"unused: at the comment, per rule",
			"schema_version: '1.0'\nteam: x # ckptmeta: disable=schema/unknown-key,yaml/truthy\n" + okBody,
			"2:9 suppression/unused\n", true},
		{"unused disable-file and a comment with nothing after it",
			"schema_version: '1.0'\n" + okBody + "# ckptmeta: disable-file=sidecar/stale\n# ckptmeta: disable=yaml/truthy\n",
			"14:1 suppression/unused\n15:1 suppression/unused\n", true},
		{"naming suppression/unused excuses the comment",
			"schema_version: '1.0'\nteam: x # ckptmeta: disable=schema/unknown-key,yaml/truthy,suppression/unused\n" + okBody,
			"", true},
		{"disable-file=suppression/unused quiets the file",
			"# ckptmeta: disable-file=suppression/unused\nschema_version: '1.0'\n# ckptmeta: disable=yaml/truthy\n" + okBody,
			"", true},
		{"unknown rule: at the rule, suggesting the close one, suppressing nothing",
			"schema_version: '1.0'\nflag: yes # ckptmeta: disable=yaml/truty\n" + okBody,
			"2:1 schema/unknown-key\n2:7 yaml/truthy\n2:31 suppression/invalid\n", true},
		{"malformed",
			"schema_version: '1.0'\n# ckptmeta: disabel=yaml/truthy\n" + okBody,
			"2:1 suppression/invalid\n", true},
		{"a refusal cannot be suppressed",
			"schema_version: '1.0'\nexp: = # ckptmeta: disable=yaml/unloadable,schema/unknown-key\n" + okBody,
			"2:6 yaml/unloadable\n2:28 suppression/invalid\n", false},
		{"a mapping as a key is refused by safe_load, though its rule also names number keys",
			"schema_version: '1.0'\n? [a, b] # ckptmeta: disable=yaml/non-string-key\n: x\n1: y # ckptmeta: disable=yaml/non-string-key\n" + okBody,
			"2:3 yaml/non-string-key\n2:10 suppression/unused\n4:1 schema/unknown-key\n", false},
		{"a '#' in a quoted scalar is no comment",
			"schema_version: '1.0'\nteam: 'x # ckptmeta: disable=schema/unknown-key'\n" + okBody,
			"2:1 schema/unknown-key\n", true},
		{"nor in a block scalar",
			"schema_version: '1.0'\nteam: |\n  # ckptmeta: disable-file=schema/unknown-key\n" + okBody,
			"2:1 schema/unknown-key\n", true},
		{"an unparsable file reports no unused suppression",
			"# ckptmeta: disable=schema/type\nschema_version: '1.0'\na: [\n",
			"4:1 yaml/syntax\n", false},
	}
	v := New(nil, Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := v.ValidateBytes("x.metadata.yaml", []byte(tt.src))
			if got := short(r.Findings); got != tt.want {
				t.Errorf("findings:\n%s\nwant:\n%s", dump(r.Findings), tt.want)
			}
			if (r.Status == StatusValid) != tt.valid {
				t.Errorf("status %v, want valid=%v", r.Status, tt.valid)
			}
		})
	}
}

func TestSuppressionMessages(t *testing.T) {
	v := New(nil, Options{})
	r := v.ValidateBytes("x.metadata.yaml", []byte("schema_version: '1.0'\nflag: yes # ckptmeta: disable=yaml/truty,schema/unknown-key,yaml/syntax\n"+okBody+"# ckptmeta: disable-file=sidecar/orphan\n"))
	want := []string{
		`2:31 warning suppression names unknown rule "yaml/truty"; did you mean "yaml/truthy"? [suppression/invalid]`,
		`2:61 warning yaml/syntax cannot be suppressed: yaml.safe_load refuses the file, so the Python apps cannot read it [suppression/invalid]`,
		`15:1 warning file-wide suppression of sidecar/orphan suppressed nothing [suppression/unused]`,
	}
	r2 := v.ValidateBytes("x.metadata.yaml", []byte("schema_version: '1.0'\nteam: yes # ckptmeta: disable=yaml/truthy\n"+okBody+"# ckptmeta: disable=all\n"))
	want = append(want,
		`2:1 warning team: unknown key [schema/unknown-key]`,
		`15:1 warning suppression of all suppressed nothing: no YAML follows it [suppression/unused]`)
	r.Findings = append(r.Findings, r2.Findings...)
	got := dump(r.Findings)
	for _, w := range want {
		if !strings.Contains(got, "  "+w+"\n") {
			t.Errorf("missing %q in\n%s", w, got)
		}
	}
}

// Suppressions reach the findings of the neighbour checks too (an orphan, on disk and
// through standard input), and a suppressed finding no longer fails a strict run.
func TestSuppressionsThroughEveryPath(t *testing.T) {
	dir := t.TempDir()
	name := filepath.ToSlash(filepath.Join(dir, "run", "checkpoints", "gone.ckpt.metadata.yaml"))
	src := "schema_version: '1.0'\n" + strings.Replace(okBody, "checkpoint_path: run/checkpoints/ok.ckpt",
		"checkpoint_path: run/checkpoints/gone.ckpt # ckptmeta: disable=sidecar/orphan", 1)
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	v := New(nil, Options{Strict: true})
	for label, r := range map[string]*Result{
		"ValidateFile":   v.ValidateFile(name),
		"ValidateReader": v.ValidateReader(name, strings.NewReader(src)),
	} {
		if len(r.Findings) != 0 || r.Failed(true) {
			t.Errorf("%s: orphan not suppressed:\n%s", label, dump(r.Findings))
		}
	}
	// Without the comment the orphan is there: the test above can fail.
	plain := strings.Replace(src, " # ckptmeta: disable=sidecar/orphan", "", 1)
	if r := v.ValidateReader(name, strings.NewReader(plain)); short(r.Findings) != "2:18 sidecar/orphan\n" {
		t.Errorf("without the suppression:\n%s", dump(r.Findings))
	}
	var ran []*Result
	if err := v.Run(t.Context(), []string{dir}, func(r *Result) { ran = append(ran, r) }); err != nil {
		t.Fatal(err)
	}
	if len(ran) != 1 || len(ran[0].Findings) != 0 {
		t.Errorf("Run: %d results, findings:\n%s", len(ran), dump(ran[0].Findings))
	}
}

// Through the results cache a file's suppressions still reach the neighbour checks (the
// cached verdict carries them): a cached run reports what an uncached one does.
func TestSuppressionsThroughTheCache(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "run", "checkpoints", "gone.ckpt.metadata.yaml")
	src := "schema_version: '1.0'\n" + strings.Replace(okBody, "checkpoint_path: run/checkpoints/ok.ckpt",
		"checkpoint_path: run/checkpoints/gone.ckpt # ckptmeta: disable=sidecar/orphan", 1) +
		"team: x # ckptmeta: disable=schema/unknown-key,yaml/truthy,bogus/rule\n# ckptmeta: disable-file=sidecar/stale\n"
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour) // past the racy window: the second run trusts the record
	if err := os.Chtimes(name, old, old); err != nil {
		t.Fatal(err)
	}
	c, err := OpenCache(filepath.Join(dir, "cache"), 0)
	if err != nil {
		t.Fatal(err)
	}
	run := func(v *Validator) string {
		var got string
		if err := v.Run(t.Context(), []string{filepath.Join(dir, "run")}, func(r *Result) { got += short(r.Findings) }); err != nil {
			t.Fatal(err)
		}
		return got
	}
	want := run(New(nil, Options{}))
	if want != "14:9 suppression/unused\n14:60 suppression/invalid\n15:1 suppression/unused\n" {
		t.Fatalf("uncached:\n%s", want)
	}
	cached := New(nil, Options{Cache: c})
	for i := range 2 {
		if got := run(cached); got != want {
			t.Errorf("cached run %d:\n%s\nwant:\n%s", i, got, want)
		}
	}
	// The round trip of the cache's record keeps the suppressions exactly.
	_, doc, sup := cached.content(name, []byte(src), nil)
	f := factsOf(doc)
	f.sup = sup
	_, gotF, _, ok := decodeVerdict(name, encodeVerdict(&Result{Status: StatusValid}, f, nil))
	if !ok || !reflect.DeepEqual(gotF.sup, sup) {
		t.Errorf("suppressions after the round trip:\n got %+v\nwant %+v", gotF.sup, sup)
	}
}
