package validate

import (
	"strings"
	"testing"

	"github.com/ckptmeta/ckptmeta/schemas"
)

// A schema extension makes a team's keys known, and its own constraints are findings at
// the line and column of the value, like any schema finding.
func TestSchemaExtension(t *testing.T) {
	ext, err := schemas.ParseExtension("team.schema.json", []byte(`{
  "x-ckptmeta-versions": ["1.0"],
  "properties": {
    "team": {"enum": ["ocr", "vision"]},
    "training": {"properties": {"seed": {"type": "integer", "minimum": 0}}},
    "review": {"type": "object", "properties": {"by": {"type": "string"}}, "required": ["by"], "additionalProperties": false}
  },
  "required": ["team"]
}`))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := schemas.Default().WithExtensions(ext)
	if err != nil {
		t.Fatal(err)
	}
	good := "schema_version: '1.0'\nteam: ocr\nreview: {by: ana}\n" + strings.Replace(okBody, "training: {epoch: 1, global_step: 3}", "training: {epoch: 1, global_step: 3, seed: 7}", 1)
	if r := New(reg, Options{Strict: true}).ValidateBytes("x.metadata.yaml", []byte(good)); len(r.Findings) != 0 || r.Status != StatusValid {
		t.Errorf("with the extension:\n%s", dump(r.Findings))
	}
	// Without it the same keys are unknown: the extension is what made them valid.
	if r := New(nil, Options{}).ValidateBytes("x.metadata.yaml", []byte(good)); short(r.Findings) != "2:1 schema/unknown-key\n3:1 schema/unknown-key\n7:38 schema/unknown-key\n" {
		t.Errorf("without the extension:\n%s", dump(r.Findings))
	}
	bad := "schema_version: '1.0'\nteam: sales\nreview: {by: 3, at: x}\n" + strings.Replace(okBody, "training: {epoch: 1, global_step: 3}", "training: {epoch: 1, global_step: 3, seed: -2}", 1) + "other: 1\n"
	r := New(reg, Options{}).ValidateBytes("x.metadata.yaml", []byte(bad))
	want := "2:7 schema/enum\n3:14 schema/type\n3:17 schema/unknown-key\n7:44 schema/minimum\n16:1 schema/unknown-key\n"
	if got := short(r.Findings); got != want {
		t.Errorf("extension constraints:\n%s\nwant:\n%s", dump(r.Findings), want)
	}
	missing := strings.Replace(good, "team: ocr\n", "", 1)
	if r := New(reg, Options{}).ValidateBytes("x.metadata.yaml", []byte(missing)); !strings.Contains(dump(r.Findings), "team: required key is missing [schema/required]") {
		t.Errorf("required by the extension:\n%s", dump(r.Findings))
	}
	// Other versions are untouched.
	v11 := strings.Replace(good, "'1.0'", "'1.1'", 1)
	if r := New(reg, Options{}).ValidateBytes("x.metadata.yaml", []byte(v11)); !strings.Contains(short(r.Findings), "2:1 schema/unknown-key") {
		t.Errorf("1.1 is not extended:\n%s", dump(r.Findings))
	}
}
