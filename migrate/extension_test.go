package migrate

import (
	"errors"
	"strings"
	"testing"

	"github.com/ckptmeta/ckptmeta/schemas"
)

// A chain over a registry with a schema extension validates each step's result against the
// extended schema: a 1.1 extension that requires the team's key refuses a migration that
// would produce a 1.1 document without it, and accepts one with it.
func TestChainForRegistryWithExtension(t *testing.T) {
	ext, err := schemas.ParseExtension("team.schema.json", []byte(`{"x-ckptmeta-versions": ["1.1"],
		"properties": {"team": {"enum": ["ocr"]}}, "required": ["team"]}`))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := schemas.Default().WithExtensions(ext)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ForRegistry(reg)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := ForRegistry(schemas.Default()); d != Default() || c == Default() || c.Registry() != reg {
		t.Fatal("ForRegistry does not use the registry it is given")
	}
	const doc = `schema_version: '1.0'
checkpoint_path: run/checkpoints/ok.ckpt
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
	_, err = c.MigrateBytes("x.metadata.yaml", []byte(doc), Options{To: "1.1"})
	var se *StepError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "team") {
		t.Errorf("without the team key: error %v, want a step error naming team", err)
	}
	if _, err := Default().MigrateBytes("x.metadata.yaml", []byte(doc), Options{To: "1.1"}); err != nil {
		t.Errorf("the built-in chain refuses it: %v", err)
	}
	m, err := c.MigrateBytes("x.metadata.yaml", []byte(doc+"team: ocr # ours\n"), Options{To: "1.1"})
	if err != nil {
		t.Fatalf("with the team key: %v", err)
	}
	if !strings.Contains(string(m.Data), "team: ocr # ours\n") || m.To != "1.1" {
		t.Errorf("migrated:\n%s", m.Data)
	}
}
