package generate

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ckptmeta/ckptmeta/internal/fsutil"
	"github.com/ckptmeta/ckptmeta/internal/pyyaml"

	"go.yaml.in/yaml/v3"
)

// maxConfigSize bounds the Hydra config read: real ones are a few kilobytes.
const maxConfigSize = 4 << 20

// unresolved stands for a value whose ${...} interpolation cannot be resolved from the file
// alone (a resolver such as ${hydra:...} or ${oc.env:...}, a key the file does not define, a
// cycle). Extraction leaves such values out and says so.
type unresolved struct {
	Raw string // the value as written
	Why string
}

// config is a nested configuration (a Hydra .hydra/config.yaml, or the checkpoint's
// hyper_parameters) with OmegaConf-style ${a.b} interpolations resolved on read.
type config struct {
	src  Source // where its values come from
	root map[string]any

	// preset is the model/architectures preset the run was composed with, from the Hydra
	// files beside config.yaml (see runPreset); "" when they do not name one.
	preset string
}

// loadHydra reads a Hydra config. Hydra writes it unresolved, so ${...} stays verbatim.
func loadHydra(path string) (*config, error) {
	src, err := fsutil.ReadFile(path, maxConfigSize) // never blocks on a FIFO
	if err != nil {
		return nil, err
	}
	if len(src) > maxConfigSize {
		return nil, fmt.Errorf("larger than %d bytes", maxConfigSize)
	}
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(src)).Decode(&doc); err != nil {
		if err == io.EOF {
			return &config{src: SourceHydra, root: map[string]any{}}, nil
		}
		return nil, err
	}
	budget := maxConfigNodes
	v := yamlValue(&doc, 0, &budget)
	if budget < 0 {
		return nil, fmt.Errorf("more than %d values once aliases are expanded", maxConfigNodes)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("top level is not a mapping")
	}
	cfg := &config{src: SourceHydra, root: m}
	cfg.preset = runPreset(filepath.Dir(path))
	return cfg, nil
}

// runPreset names the architecture preset a Hydra run was composed with, for configs that
// carry no architecture key (only _target_s): the `model/architectures=dbnet` task override
// that hydra.yaml records (hydra.overrides.task), else its `model/architectures` entry in
// hydra.runtime.choices (a preset chosen by a defaults list), else the same override in
// overrides.yaml when hydra.yaml is absent. It returns "" when none of those files names one;
// unreadable files are simply not evidence.
func runPreset(hydraDir string) string {
	if doc, ok := readSmallYAML(filepath.Join(hydraDir, "hydra.yaml")); ok {
		h, _ := doc.(map[string]any)
		h, _ = h["hydra"].(map[string]any)
		ov, _ := h["overrides"].(map[string]any)
		if name := presetOverride(ov["task"]); name != "" {
			return name
		}
		rt, _ := h["runtime"].(map[string]any)
		choices, _ := rt["choices"].(map[string]any)
		for _, group := range presetGroups {
			if v, ok := choices[group].(string); ok && presetName(v) != "" {
				return presetName(v)
			}
		}
		return ""
	}
	if doc, ok := readSmallYAML(filepath.Join(hydraDir, "overrides.yaml")); ok {
		if name := presetOverride(doc); name != "" {
			return name
		}
	}
	return ""
}

// presetGroups are the config groups whose option is the architecture preset.
var presetGroups = []string{"model/architectures", "model/architecture"}

// presetOverride finds "model/architectures=NAME" in a list of Hydra override strings, with
// the prefixes (+, ++, ~) and package suffix (@model) Hydra allows. The last one wins, as in Hydra.
func presetOverride(v any) string {
	list, _ := v.([]any)
	found := ""
	for _, e := range list {
		s, _ := e.(string)
		key, val, ok := strings.Cut(s, "=")
		if !ok {
			continue
		}
		key = strings.TrimLeft(strings.TrimSpace(key), "+~")
		if i := strings.IndexByte(key, '@'); i >= 0 {
			key = key[:i]
		}
		for _, g := range presetGroups {
			if key == g {
				if n := presetName(val); n != "" {
					found = n
				}
			}
		}
	}
	return found
}

// presetName is a preset option as an architecture name: unquoted, the last segment of a
// nested option (detection/dbnet → dbnet), and only a plain identifier (null, lists and
// interpolations are not names).
func presetName(v string) string {
	v = strings.Trim(strings.TrimSpace(v), `'"`)
	v = v[strings.LastIndexByte(v, '/')+1:]
	if v == "" || v == "null" {
		return ""
	}
	for _, r := range v {
		if !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return ""
		}
	}
	return v
}

// readSmallYAML reads a Hydra side file (hydra.yaml, overrides.yaml) as plain values.
func readSmallYAML(path string) (any, bool) {
	src, err := fsutil.ReadFile(path, maxConfigSize)
	if err != nil || len(src) > maxConfigSize {
		return nil, false
	}
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(src)).Decode(&doc); err != nil {
		return nil, false
	}
	budget := maxConfigNodes
	v := yamlValue(&doc, 0, &budget)
	return v, budget >= 0
}

// configCache keeps parsed Hydra configs for one Run, keyed by path, size and mtime so an
// edited file is read again. Parsed configs are never modified, so sharing them is safe.
type configCache struct {
	mu sync.Mutex
	m  map[string]cachedConfig
}

type cachedConfig struct {
	size  int64
	mtime time.Time
	cfg   *config
	err   error
}

func (c *configCache) load(path string) (*config, error) {
	if c == nil {
		return loadHydra(path)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	e, ok := c.m[path]
	c.mu.Unlock()
	if ok && e.size == st.Size() && e.mtime.Equal(st.ModTime()) {
		return e.cfg, e.err
	}
	cfg, err := loadHydra(path)
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]cachedConfig{}
	}
	c.m[path] = cachedConfig{size: st.Size(), mtime: st.ModTime(), cfg: cfg, err: err}
	c.mu.Unlock()
	return cfg, err
}

// maxConfigNodes bounds the values a config expands to: aliases can multiply a small file
// ("billion laughs"), and so can interpolations.
const maxConfigNodes = 200_000

// yamlValue turns a node into plain values: map[string]any, []any, string, int64, float64,
// bool, nil. Timestamps and other tags stay strings; aliases are followed a bounded depth,
// and every value produced is taken from budget.
func yamlValue(n *yaml.Node, depth int, budget *int) any {
	*budget--
	if n == nil || depth > 64 || *budget < 0 {
		return nil
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil
		}
		return yamlValue(n.Content[0], depth+1, budget)
	case yaml.AliasNode:
		return yamlValue(n.Alias, depth+1, budget)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = yamlValue(n.Content[i+1], depth+1, budget)
		}
		return m
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			l = append(l, yamlValue(c, depth+1, budget))
		}
		return l
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return nil
		case "!!bool":
			var b bool
			if n.Decode(&b) == nil {
				return b
			}
		case "!!int":
			var i int64
			if n.Decode(&i) == nil {
				return i
			}
		case "!!float":
			var f float64
			if n.Decode(&f) == nil {
				return f
			}
		}
		return n.Value
	}
	return nil
}

// newConfig wraps a decoded mapping (hyper_parameters).
func newConfig(src Source, m map[string]any) *config { return &config{src: src, root: m} }

// raw follows path without resolving anything.
func (c *config) raw(path []string) (any, bool) {
	var cur any = c.root
	for _, k := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// get returns the value at path with interpolations resolved throughout; unresolvable
// parts are *unresolved values. A missing key, or a value that resolves to a missing one,
// gives false.
func (c *config) get(path ...string) (any, bool) {
	v, ok := c.raw(path)
	if !ok {
		return nil, false
	}
	r := &resolver{c: c, budget: maxConfigNodes}
	out := r.resolve(v, map[string]bool{strings.Join(path, "."): true}, 0)
	if r.budget < 0 {
		return &unresolved{Raw: strings.Join(path, "."), Why: "interpolations expand to too many values"}, true
	}
	return out, true
}

// resolver resolves one value; budget bounds the values it may produce, since references
// can fan out exponentially (a: [${b}, ${b}], b: [${c}, ${c}], ...).
type resolver struct {
	c      *config
	budget int
}

// getMap is get for a mapping; anything else gives nil.
func (c *config) getMap(path ...string) map[string]any {
	v, _ := c.get(path...)
	m, _ := v.(map[string]any)
	return m
}

const maxResolveDepth = 32

func (r *resolver) resolve(v any, seen map[string]bool, depth int) any {
	r.budget--
	if r.budget < 0 {
		return nil
	}
	if depth > maxResolveDepth {
		return &unresolved{Raw: fmt.Sprint(v), Why: "interpolations nest too deep"}
	}
	switch t := v.(type) {
	case string:
		return r.resolveString(t, seen, depth)
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = r.resolve(x, seen, depth+1)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = r.resolve(x, seen, depth+1)
		}
		return out
	}
	return v
}

// resolveString resolves "${a.b}" (the whole value: any type) and "x/${a.b}/y" (string
// concatenation of scalars). "???" is OmegaConf's mandatory-missing marker.
func (r *resolver) resolveString(s string, seen map[string]bool, depth int) any {
	if s == "???" {
		return &unresolved{Raw: s, Why: "mandatory value missing (???)"}
	}
	if !strings.Contains(s, "${") {
		return s
	}
	var b strings.Builder
	rest := s
	for {
		i := strings.Index(rest, "${")
		if i < 0 {
			b.WriteString(rest)
			break
		}
		if i > 0 && rest[i-1] == '\\' { // escaped \${: a literal
			b.WriteString(rest[:i-1])
			b.WriteString("${")
			rest = rest[i+2:]
			continue
		}
		end := matchBrace(rest, i+1)
		if end < 0 {
			return &unresolved{Raw: s, Why: "unbalanced ${"}
		}
		expr := rest[i+2 : end]
		val := r.reference(expr, seen, depth)
		if u, ok := val.(*unresolved); ok {
			return &unresolved{Raw: s, Why: u.Why}
		}
		if i == 0 && end == len(rest)-1 && b.Len() == 0 {
			return val // the whole value is one reference: keep its type
		}
		str, ok := scalarString(val)
		if !ok {
			return &unresolved{Raw: s, Why: "${" + expr + "} is not a scalar"}
		}
		b.WriteString(rest[:i])
		b.WriteString(str)
		if b.Len() > maxConfigSize {
			return &unresolved{Raw: s, Why: "interpolation result too long"}
		}
		rest = rest[end+1:]
	}
	return b.String()
}

// matchBrace returns the index of the '}' closing the '{' at open, or -1.
func matchBrace(s string, open int) int {
	level := 0
	for j := open; j < len(s); j++ {
		switch s[j] {
		case '{':
			level++
		case '}':
			level--
			if level == 0 {
				return j
			}
		}
	}
	return -1
}

func (r *resolver) reference(expr string, seen map[string]bool, depth int) any {
	expr = strings.TrimSpace(expr)
	switch {
	case strings.Contains(expr, ":"):
		name, _, _ := strings.Cut(expr, ":")
		return &unresolved{Raw: expr, Why: "resolver " + name + ": is only known at run time"}
	case strings.HasPrefix(expr, "."):
		return &unresolved{Raw: expr, Why: "relative interpolation ${" + expr + "}"}
	case expr == "" || strings.ContainsAny(expr, "${}[] "):
		return &unresolved{Raw: expr, Why: "unsupported interpolation ${" + expr + "}"}
	}
	if seen[expr] {
		return &unresolved{Raw: expr, Why: "interpolation cycle through ${" + expr + "}"}
	}
	v, ok := r.c.raw(strings.Split(expr, "."))
	if !ok {
		return &unresolved{Raw: expr, Why: "${" + expr + "} is not defined in this file"}
	}
	next := make(map[string]bool, len(seen)+1)
	for k := range seen {
		next[k] = true
	}
	next[expr] = true
	return r.resolve(v, next, depth+1)
}

func scalarString(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case int64:
		return strconv.FormatInt(t, 10), true
	case float64:
		if math.IsInf(t, 0) || math.IsNaN(t) {
			return "", false
		}
		return pyyaml.FloatRepr(t), true // str(float), as OmegaConf writes it into a string: 1234567.0, 1e-05
	case bool:
		if t {
			return "True", true
		}
		return "False", true
	}
	return "", false
}
