package migrate

import (
	"fmt"
	"sync"

	"github.com/ckptmeta/ckptmeta/schemas"
)

// Step is one hop between adjacent schema versions. Apply edits the document in place; it
// does no I/O and reads no clock (what it needs beyond the document is in Doc.Env). The
// executor, not the step, sets schema_version to To and validates the result.
type Step struct {
	From, To string
	Summary  string // one line, for --dry-run and `schema history`
	Apply    func(*Doc) error
}

// Name is the step's short name, "1.0->1.1".
func (s Step) Name() string { return s.From + "->" + s.To }

// Chain is a checked set of steps: the up steps link every registry version to the next
// one, ending at the latest; down steps each go one version back.
type Chain struct {
	reg  *schemas.Registry
	up   map[string]Step // by From
	down map[string]Step // by From
}

// ChainError reports a malformed chain given to NewChain.
type ChainError struct{ Msg string }

func (e *ChainError) Error() string { return "migrate: bad chain: " + e.Msg }

// NewChain checks steps against the registry: each step is one hop between adjacent
// versions spelled as the registry spells them, no hop is given twice, and the up steps
// reach the latest version from the oldest without gaps.
func NewChain(reg *schemas.Registry, steps ...Step) (*Chain, error) {
	versions := reg.Versions()
	index := map[string]int{}
	for i, v := range versions {
		index[v] = i
	}
	c := &Chain{reg: reg, up: map[string]Step{}, down: map[string]Step{}}
	for _, s := range steps {
		i, okF := index[s.From]
		j, okT := index[s.To]
		switch {
		case !okF || !okT:
			return nil, &ChainError{fmt.Sprintf("step %s names a version the registry does not have (known %v)", s.Name(), versions)}
		case s.Apply == nil:
			return nil, &ChainError{fmt.Sprintf("step %s has no Apply", s.Name())}
		case j == i+1:
			if _, dup := c.up[s.From]; dup {
				return nil, &ChainError{fmt.Sprintf("step %s is given twice", s.Name())}
			}
			c.up[s.From] = s
		case j == i-1 && j > 0:
			if _, dup := c.down[s.From]; dup {
				return nil, &ChainError{fmt.Sprintf("step %s is given twice", s.Name())}
			}
			c.down[s.From] = s
		default:
			return nil, &ChainError{fmt.Sprintf("step %s is not a hop between adjacent versions", s.Name())}
		}
	}
	for _, v := range versions[:len(versions)-1] {
		if _, ok := c.up[v]; !ok {
			return nil, &ChainError{fmt.Sprintf("no step up from %s: the chain must reach %s", v, reg.Latest().Version)}
		}
	}
	return c, nil
}

var defaultChain = sync.OnceValue(func() *Chain {
	c, err := NewChain(schemas.Default(), steps()...)
	if err != nil {
		// The steps are part of the build; TestDefaultChain proves they fit the registry.
		panic(err)
	}
	return c
})

// Default returns the chain of the real steps over the embedded schemas.
func Default() *Chain { return defaultChain() }

// ForRegistry returns the chain of the real steps over reg: a registry with schema
// extensions (schemas.Registry.WithExtensions) validates every step's result, and the
// fixes, against the extended schemas. reg must hold the built-in versions.
func ForRegistry(reg *schemas.Registry) (*Chain, error) {
	if reg == nil || reg == schemas.Default() {
		return Default(), nil
	}
	return NewChain(reg, steps()...)
}

// Registry returns the registry the chain was checked against.
func (c *Chain) Registry() *schemas.Registry { return c.reg }

// Steps lists the up steps oldest first, then the down steps newest first.
func (c *Chain) Steps() []Step {
	var out []Step
	vs := c.reg.Versions()
	for _, v := range vs {
		if s, ok := c.up[v]; ok {
			out = append(out, s)
		}
	}
	for i := len(vs) - 1; i >= 0; i-- {
		if s, ok := c.down[vs[i]]; ok {
			out = append(out, s)
		}
	}
	return out
}

// Resolve turns a target ("latest", "", or any spelling of a known version) into the
// registry's spelling.
func (c *Chain) Resolve(to string) (string, error) {
	if to == "" || to == "latest" {
		return c.reg.Latest().Version, nil
	}
	s, err := c.reg.Lookup(to)
	if err != nil {
		return "", fmt.Errorf("migrate: target: %w", err)
	}
	if s.Version == schemas.Legacy {
		return "", ErrTargetLegacy
	}
	return s.Version, nil
}

// Plan lists the steps from one version to another, in order. It is pure. Errors:
// *NewerVersionError when from is later than the latest known version,
// *schemas.UnknownVersionError (wrapped) for any other unknown version, ErrTargetLegacy
// for to == "0", *NoPathError when no down steps lead there. from == to plans nothing.
func (c *Chain) Plan(from, to string) ([]Step, error) {
	if c.reg.Newer(from) {
		return nil, &NewerVersionError{Version: from, Latest: c.reg.Latest().Version}
	}
	fs, err := c.reg.Lookup(from)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	if c.reg.Newer(to) {
		return nil, fmt.Errorf("migrate: target: %w", &NewerVersionError{Version: to, Latest: c.reg.Latest().Version})
	}
	target, err := c.Resolve(to)
	if err != nil {
		return nil, err
	}
	cmp, _ := c.reg.Compare(fs.Version, target)
	var plan []Step
	for v := fs.Version; v != target; {
		steps := c.up
		if cmp > 0 {
			steps = c.down
		}
		s, ok := steps[v]
		if !ok {
			return nil, &NoPathError{From: fs.Version, To: target}
		}
		plan = append(plan, s)
		v = s.To
	}
	return plan, nil
}

// Plan plans on the default chain.
func Plan(from, to string) ([]Step, error) { return Default().Plan(from, to) }
