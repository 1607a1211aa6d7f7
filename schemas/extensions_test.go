package schemas

import (
	"errors"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

const teamExt = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "x-ckptmeta-versions": ["1.0", "1.1.0"],
  "properties": {
    "team": {"type": "string", "enum": ["ocr", "vision"]},
    "training": {"properties": {"seed": {"$ref": "#/$defs/seed"}}},
    "review": {"type": "object", "properties": {"by": {"type": "string"}}, "required": ["by"], "additionalProperties": false}
  },
  "$defs": {"seed": {"type": "integer", "minimum": 0}}
}`

func mustExt(t *testing.T, src string) *Extension {
	t.Helper()
	e, err := ParseExtension("team.schema.json", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestWithExtensions(t *testing.T) {
	base := Default()
	reg, err := base.WithExtensions(mustExt(t, teamExt))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(reg.Versions(), " "); got != "0 1.0 1.1 2.0" {
		t.Errorf("Versions() = %s", got)
	}
	if strings.Join(reg.Extensions(), ",") != "team.schema.json" || len(base.Extensions()) != 0 {
		t.Errorf("Extensions() = %v, base %v", reg.Extensions(), base.Extensions())
	}
	s2, _ := reg.Lookup("2.0")
	if b2, _ := base.Lookup("2.0"); s2 != b2 {
		t.Error("a version no extension names is not shared with the base registry")
	}
	s10, _ := reg.Lookup("1.0")
	if !strings.Contains(s10.Title, "(+ team.schema.json)") {
		t.Errorf("title %q does not name the extension", s10.Title)
	}
	ok := decode(t, seed)
	ok["team"] = "ocr"
	ok["training"].(map[string]any)["seed"] = 7
	ok["review"] = map[string]any{"by": "ana"}
	for _, v := range []string{"1.0", "1.1"} {
		doc := decode(t, seed)
		for k, x := range ok {
			doc[k] = x
		}
		doc["schema_version"] = v
		s, _ := reg.Lookup(v)
		if err := s.Validate(doc); err != nil {
			t.Errorf("%s: the team's keys are not accepted: %v", v, err)
		}
		// The built-in registry still calls them unknown: the extension is what changed.
		bs, _ := base.Lookup(v)
		if err := bs.Validate(doc); err == nil {
			t.Errorf("%s: the base registry accepts the team's keys", v)
		}
	}
	// The extension's own constraints apply, each as its own leaf.
	for name, mutate := range map[string]func(m map[string]any){
		"enum":          func(m map[string]any) { m["team"] = "sales" },
		"type via $ref": func(m map[string]any) { m["training"].(map[string]any)["seed"] = "x" },
		"minimum":       func(m map[string]any) { m["training"].(map[string]any)["seed"] = -1 },
		"required":      func(m map[string]any) { m["review"] = map[string]any{} },
		"closed object": func(m map[string]any) { m["review"] = map[string]any{"by": "a", "extra": 1} },
		"still unknown": func(m map[string]any) { m["other"] = 1 },
		"builtin rule":  func(m map[string]any) { m["training"].(map[string]any)["epoch"] = -1 },
	} {
		doc := decode(t, seed)
		for k, x := range ok {
			doc[k] = x
		}
		doc["training"] = map[string]any{"epoch": 1, "global_step": 2, "seed": 3}
		mutate(doc)
		var ve *jsonschema.ValidationError
		if err := s10.Validate(doc); !errors.As(err, &ve) {
			t.Errorf("%s: want a validation error, got %v", name, err)
		}
	}
	if reg.Digest() == base.Digest() || len(reg.Digest()) != 64 || reg.Digest() != reg.Digest() {
		t.Errorf("digests: extended %s, base %s", reg.Digest(), base.Digest())
	}
	again, _ := base.WithExtensions(mustExt(t, teamExt))
	if again.Digest() != reg.Digest() {
		t.Error("the same extension gives another digest")
	}
	if same, _ := base.WithExtensions(); same != base {
		t.Error("no extensions should return the registry itself")
	}
}

func TestParseExtensionErrors(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"not json", `{"x-ckptmeta-versions": ["1.0"],`, "not JSON"},
		{"not an object", `["1.0"]`, "must be a JSON object"},
		{"no versions", `{"properties": {}}`, `"x-ckptmeta-versions" must list`},
		{"empty versions", `{"x-ckptmeta-versions": []}`, `"x-ckptmeta-versions" must list`},
		{"version not a string", `{"x-ckptmeta-versions": [1.0]}`, "versions are strings"},
		{"other draft", `{"$schema": "http://json-schema.org/draft-07/schema#", "x-ckptmeta-versions": ["1.0"]}`, "$schema must be"},
		{"invalid schema", `{"x-ckptmeta-versions": ["1.0"], "properties": {"team": {"type": "strnig"}}}`, "not a valid JSON Schema"},
		{"remote ref", `{"x-ckptmeta-versions": ["1.0"], "properties": {"team": {"$ref": "https://example.com/team.json"}}}`, "not a valid JSON Schema"},
		{"file ref", `{"x-ckptmeta-versions": ["1.0"], "properties": {"team": {"$ref": "file:///etc/passwd"}}}`, "not a valid JSON Schema"},
		{"relative ref", `{"x-ckptmeta-versions": ["1.0"], "properties": {"team": {"$ref": "other.schema.json"}}}`, "not a valid JSON Schema"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseExtension("conf/team.schema.json", []byte(tt.src))
			var ee *ExtensionError
			if !errors.As(err, &ee) {
				t.Fatalf("error %v is not an *ExtensionError", err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "schemas: extension conf/team.schema.json: ") || !strings.Contains(msg, tt.want) || strings.Contains(msg, "\n") {
				t.Errorf("error = %q, want one line naming the file and %q", msg, tt.want)
			}
		})
	}
	for _, v := range []string{"3.0", "0", "latest", "banana"} {
		e := mustExt(t, `{"x-ckptmeta-versions": ["`+v+`"]}`)
		_, err := Default().WithExtensions(e)
		var ee *ExtensionError
		if !errors.As(err, &ee) || !strings.Contains(err.Error(), `names "`+v+`", which is not a schema_version it can extend (known: 1.0, 1.1, 2.0)`) {
			t.Errorf("version %s: error = %v", v, err)
		}
	}
}
