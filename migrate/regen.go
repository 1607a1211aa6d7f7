package migrate

import (
	"bufio"
	"bytes"
	"regexp"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ckptmeta/ckptmeta/generate"
	"github.com/ckptmeta/ckptmeta/schemas"
	"github.com/ckptmeta/ckptmeta/validate"
)

// carry is what survives from a sidecar that is rebuilt from its checkpoint: facts the
// checkpoint does not hold.
type carry = generate.Carry

type buildOptions struct {
	Root, Version, ToolVersion string
	Now                        func() time.Time
	Carry                      carry
	Registry                   *schemas.Registry // the chain's: the regenerated file is checked as validate will
}

type built struct {
	Path, Version string
	Data          []byte
	Warnings      []string
}

// buildSidecar generates a sidecar for a checkpoint. It is a variable so tests can count
// calls; it is generate.Build at target version with provenance action "regenerated".
var buildSidecar = func(ckpt string, o buildOptions) (*built, error) {
	var c *generate.Carry
	if !o.Carry.Empty() {
		c = &o.Carry
	}
	sc, err := generate.Build(ckpt, generate.Options{
		Root: o.Root, Version: o.Version, Now: o.Now, ToolVersion: o.ToolVersion,
		Action: generate.ActionRegenerated, Carry: c, Registry: o.Registry,
	})
	if err != nil {
		return nil, err
	}
	return &built{Path: sc.Path, Version: sc.Version, Data: sc.Data, Warnings: sc.Warnings}, nil
}

var carryLine = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(exp_name|wandb_run_id|experiment|[ \t]+name|[ \t]+wandb_run_id)[ \t]*:(.*)$`)
})

// carryFrom reads exp_name and wandb_run_id from an old sidecar that could not be
// migrated. A value is carried only when it reads as a non-empty string and every
// occurrence agrees: a file with two different exp_name lines carries none.
func carryFrom(path string, src []byte) carry {
	doc, findings := validate.Parse(path, src)
	if broken(path, doc, findings) == nil {
		return generate.CarryOf(doc)
	}
	// Broken YAML: read the lines that still make sense on their own.
	found := map[string][]string{}
	inExperiment := false
	sc := bufio.NewScanner(bytes.NewReader(src))
	for sc.Scan() {
		line := sc.Text()
		if line != "" && line[0] != ' ' && line[0] != '\t' && line[0] != '#' {
			inExperiment = false
		}
		m := carryLine().FindStringSubmatch(line)
		if m == nil {
			continue
		}
		key := m[1]
		switch {
		case key == "experiment":
			inExperiment = true
			continue
		case key[0] == ' ' || key[0] == '\t':
			if !inExperiment {
				continue
			}
			key = map[string]string{"name": "exp_name", "wandb_run_id": "wandb_run_id"}[string(bytes.TrimSpace([]byte(key)))]
		}
		found[key] = append(found[key], scalarString(m[2]))
	}
	one := func(vs []string) string {
		if len(vs) == 0 {
			return ""
		}
		for _, v := range vs {
			if v == "" || v != vs[0] {
				return ""
			}
		}
		return vs[0]
	}
	return carry{ExpName: one(found["exp_name"]), WandbRunID: one(found["wandb_run_id"])}
}

// scalarString parses s as one YAML scalar and returns it when it is a string ("" otherwise).
func scalarString(s string) string {
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(s), &n); err != nil || len(n.Content) != 1 {
		return ""
	}
	v := n.Content[0]
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" {
		return ""
	}
	return v.Value
}
