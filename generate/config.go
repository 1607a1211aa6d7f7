package generate

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ckptmeta/ckptmeta/internal/fsutil"

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
	return &config{src: SourceHydra, root: m}, nil
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
		return strconv.FormatFloat(t, 'g', -1, 64), true
	case bool:
		if t {
			return "True", true
		}
		return "False", true
	}
	return "", false
}
