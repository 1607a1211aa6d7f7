package generate

import (
	"errors"
	"strings"
	"testing"

	"github.com/ckptmeta/ckptmeta/schemas"
)

// TestRenderChecksAgainstTheGivenRegistry: what Build renders is checked against
// Options.Registry, schema extensions included, so generate writes nothing validate would
// refuse: an extension requiring a team field fails the render, one adding an optional
// field does not, and without a registry the built-in schemas decide.
func TestRenderChecksAgainstTheGivenRegistry(t *testing.T) {
	const ckpt = "../testdata/ckpt/best.ckpt"
	extended := func(src string) *schemas.Registry {
		t.Helper()
		ext, err := schemas.ParseExtension("team.schema.json", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		reg, err := schemas.Default().WithExtensions(ext)
		if err != nil {
			t.Fatal(err)
		}
		return reg
	}
	required := extended(`{"x-ckptmeta-versions": ["2.0"], "required": ["squad"], "properties": {"squad": {"type": "string"}}}`)
	optional := extended(`{"x-ckptmeta-versions": ["2.0"], "properties": {"squad": {"type": "string"}}}`)
	if _, err := Build(ckpt, Options{Now: fixedNow}); err != nil {
		t.Fatalf("built-in schemas: %v", err)
	}
	if _, err := Build(ckpt, Options{Now: fixedNow, Registry: optional}); err != nil {
		t.Fatalf("an optional team field: %v", err)
	}
	_, err := Build(ckpt, Options{Now: fixedNow, Registry: required})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "squad") || !strings.Contains(err.Error(), "schema extensions") {
		t.Fatalf("a required team field: err = %v, want ErrInvalid naming squad and the extensions", err)
	}
	// The extension names 2.0 only: a 1.1 sidecar is checked by the built-in 1.1 schema.
	if _, err := Build(ckpt, Options{Now: fixedNow, Registry: required, Version: "1.1"}); err != nil {
		t.Fatalf("1.1, which the extension does not name: %v", err)
	}
}
