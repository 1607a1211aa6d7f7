package config

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"strconv"
	"strings"
	"sync"

	"github.com/ckptmeta/ckptmeta/schemas"
	"github.com/ckptmeta/ckptmeta/validate"
)

//go:embed config.schema.json
var schemaTemplate []byte

// SchemaID is the $id of the configuration's JSON Schema.
const SchemaID = "https://github.com/ckptmeta/ckptmeta/config.schema.json"

// Schema returns the JSON Schema (draft 2020-12) of the configuration file, for editors
// (`ckptmeta schema show config`). The lists that change with ckptmeta are filled from their
// one source: rule ids from the rule table (validate.SwitchableRules), presets from validate, versions
// from the schema registry (as strings, and as the numbers an unquoted 1.1 is).
func Schema() []byte { return bytes.Clone(filledSchema()) }

var filledSchema = sync.OnceValue(func() []byte {
	list := func(v any) []byte {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err) // a []string or []any of strings and numbers always marshals
		}
		return b
	}
	var versions []any
	for _, v := range schemas.Default().Versions() {
		if v != schemas.Legacy {
			versions = append(versions, v)
		}
	}
	versions = append(versions, DefaultSchemaVersion)
	for _, v := range schemas.Default().Versions() {
		// An unquoted 1.1 is a YAML float; the loader takes it as written. Only versions a
		// float spells the same way are listed as numbers.
		if f, err := strconv.ParseFloat(v, 64); err == nil && v != schemas.Legacy && strconv.FormatFloat(f, 'f', 1, 64) == v {
			versions = append(versions, json.Number(v))
		}
	}
	r := strings.NewReplacer(
		`"@RULES@"`, string(list(validate.SwitchableRules())),
		`"@PRESETS@"`, string(list(validate.PresetNames())),
		`"@VERSIONS@"`, string(list(versions)),
	)
	var compact, out bytes.Buffer
	if err := json.Compact(&compact, []byte(r.Replace(string(schemaTemplate)))); err != nil {
		panic(err) // the embedded template is tested to be JSON
	}
	if err := json.Indent(&out, compact.Bytes(), "", "  "); err != nil {
		panic(err)
	}
	out.WriteByte('\n')
	return out.Bytes()
})
