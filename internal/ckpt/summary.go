package ckpt

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/ckptmeta/ckptmeta/internal/safetext"
)

// Summary is what `ckptmeta inspect` shows about a checkpoint. Its JSON
// field names are stable API.
type Summary struct {
	Name                   string            `json:"name"`
	Format                 string            `json:"format"`
	ArchiveRoot            string            `json:"archive_root,omitempty"`
	LightningVersion       string            `json:"lightning_version,omitempty"`
	LegacyLightningVersion string            `json:"legacy_lightning_version,omitempty"`
	Epoch                  *int64            `json:"epoch"`
	GlobalStep             *int64            `json:"global_step"`
	Callbacks              []CallbackSummary `json:"callbacks"`
	Metrics                []Metric          `json:"metrics"`
	HyperParameterKeys     []string          `json:"hyper_parameter_keys"`
	TensorCount            int               `json:"tensor_count"`
	TensorBytes            int64             `json:"tensor_bytes"`
	PickleSize             int64             `json:"pickle_size"`
	PickleSHA256           string            `json:"pickle_sha256"`
	DangerousGlobals       []string          `json:"dangerous_globals"`
	UnknownGlobals         []string          `json:"unknown_globals"`
	// WeightsOnly is what torch.load(weights_only=True) would do with the
	// pickle: WeightsOnlyLoads, WeightsOnlyNeedsSafeGlobals (all globals are
	// allowed, SafeGlobalsNeeded lists those outside torch's default list) or
	// WeightsOnlyRefused (an unknown or dangerous global).
	WeightsOnly       string   `json:"weights_only"`
	SafeGlobalsNeeded []string `json:"safe_globals_needed"`
}

// Values of [Summary.WeightsOnly].
const (
	WeightsOnlyLoads            = "loads"
	WeightsOnlyNeedsSafeGlobals = "needs_safe_globals"
	WeightsOnlyRefused          = "refused"
)

// CallbackSummary describes one entry of the checkpoint's "callbacks".
// Class is the callback's class name: the part of a 1.5+ state key before
// "{", or the class name of a pre-1.5 class key.
type CallbackSummary struct {
	Key           string  `json:"key"`
	Class         string  `json:"class"`
	Monitor       string  `json:"monitor,omitempty"`
	Mode          string  `json:"mode,omitempty"`
	BestScore     *Number `json:"best_score"`
	BestModelPath string  `json:"best_model_path,omitempty"`
}

// Metric is a numeric leaf under a top-level key whose name contains
// "metric" (e.g. "cleval_metrics.hmean").
type Metric struct {
	Name  string `json:"name"`
	Value Number `json:"value"`
}

// Number is a float64 whose JSON form keeps NaN and infinities as the
// strings "NaN", "+Inf" and "-Inf" (JSON numbers cannot express them).
type Number float64

func (n Number) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return json.Marshal(n.String())
	}
	return []byte(strconv.FormatFloat(f, 'g', -1, 64)), nil
}

func (n Number) String() string {
	f := float64(n)
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// AsNumber returns the numeric value of v: float64, int64, or a resolved
// scalar *Tensor. Booleans and everything else are not numbers.
func AsNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	case *Tensor:
		if x != nil && x.Value != nil {
			if _, isBool := x.Value.(bool); !isBool {
				return AsNumber(x.Value)
			}
		}
	}
	return 0, false
}

var (
	reMonitor = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`'monitor': '([^']*)'`) })
	reMode    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`'mode': '([^']*)'`) })
)

// Summarize extracts the facts a human or a sidecar generator looks at
// first. It only reads r; it does no I/O.
func Summarize(r *Reader) Summary {
	s := Summary{
		Name: r.Name, Format: r.Format.String(), ArchiveRoot: r.ArchiveRoot,
		PickleSize: r.PickleSize, PickleSHA256: r.PickleSHA256,
		Callbacks: []CallbackSummary{}, Metrics: []Metric{}, HyperParameterKeys: []string{}, DangerousGlobals: []string{},
		UnknownGlobals: []string{}, SafeGlobalsNeeded: []string{}, WeightsOnly: WeightsOnlyLoads,
	}
	if v, ok := r.Lookup("pytorch-lightning_version"); ok {
		s.LightningVersion, _ = v.(string)
	}
	if v, ok := r.Lookup("legacy_pytorch-lightning_version"); ok {
		s.LegacyLightningVersion, _ = v.(string)
	}
	if v, ok := r.Lookup("epoch"); ok {
		if n, ok := v.(int64); ok {
			s.Epoch = &n
		}
	}
	if v, ok := r.Lookup("global_step"); ok {
		if n, ok := v.(int64); ok {
			s.GlobalStep = &n
		}
	}
	if cbs, ok := r.Lookup("callbacks"); ok {
		if m, ok := cbs.(map[string]any); ok {
			for _, k := range sortedKeys(m) {
				s.Callbacks = append(s.Callbacks, summarizeCallback(k, m[k]))
			}
		}
	}
	if root, ok := r.Root.(map[string]any); ok {
		for _, k := range sortedKeys(root) {
			if strings.Contains(strings.ToLower(k), "metric") {
				collectMetrics(k, root[k], 0, &s.Metrics)
			}
		}
		for _, key := range []string{"hyper_parameters", "hparams"} {
			if hp, ok := root[key].(map[string]any); ok {
				s.HyperParameterKeys = sortedKeys(hp)
				break
			}
		}
	}
	sort.Slice(s.Metrics, func(i, j int) bool { return s.Metrics[i].Name < s.Metrics[j].Name })
	s.TensorCount = countTensors(r.Root, 0)
	for _, st := range r.storages {
		s.TensorBytes += st.Numel * int64(st.ElemSize)
	}
	for _, g := range r.Dangerous {
		s.DangerousGlobals = append(s.DangerousGlobals, g.String())
	}
	for _, g := range r.Unknown {
		s.UnknownGlobals = append(s.UnknownGlobals, g.String())
	}
	for _, g := range r.Globals {
		if Classify(g) == Allowed && !g.WeightsOnly() {
			s.SafeGlobalsNeeded = append(s.SafeGlobalsNeeded, g.String())
		}
	}
	switch {
	case len(r.Dangerous)+len(r.Unknown) > 0:
		s.WeightsOnly = WeightsOnlyRefused
	case len(s.SafeGlobalsNeeded) > 0:
		s.WeightsOnly = WeightsOnlyNeedsSafeGlobals
	}
	return s
}

func summarizeCallback(key string, state any) CallbackSummary {
	c := CallbackSummary{Key: key, Class: key}
	if i := strings.IndexByte(key, '{'); i >= 0 {
		c.Class = key[:i]
	} else if i := strings.LastIndexByte(key, '.'); i >= 0 {
		c.Class = key[i+1:]
	}
	if m := reMonitor().FindStringSubmatch(key); m != nil {
		c.Monitor = m[1]
	}
	if m := reMode().FindStringSubmatch(key); m != nil {
		c.Mode = m[1]
	}
	st, _ := state.(map[string]any)
	if v, ok := st["monitor"].(string); ok && c.Monitor == "" {
		c.Monitor = v
	}
	if v, ok := st["mode"].(string); ok && c.Mode == "" {
		c.Mode = v
	}
	for _, k := range []string{"best_model_score", "best_score"} {
		if f, ok := AsNumber(st[k]); ok {
			n := Number(f)
			c.BestScore = &n
			break
		}
	}
	c.BestModelPath, _ = st["best_model_path"].(string)
	return c
}

func collectMetrics(name string, v any, depth int, out *[]Metric) {
	if depth > 4 {
		return
	}
	if m, ok := v.(map[string]any); ok {
		for _, k := range sortedKeys(m) {
			collectMetrics(name+"."+k, m[k], depth+1, out)
		}
		return
	}
	if f, ok := AsNumber(v); ok {
		*out = append(*out, Metric{Name: name, Value: Number(f)})
	}
}

func countTensors(v any, depth int) int {
	if depth > maxDepth+1 {
		return 0
	}
	n := 0
	switch x := v.(type) {
	case *Tensor:
		return 1
	case map[string]any:
		for _, e := range x {
			n += countTensors(e, depth+1)
		}
	case []any:
		for _, e := range x {
			n += countTensors(e, depth+1)
		}
	case *Object:
		n += countTensors(x.Args, depth+1) + countTensors(x.State, depth+1) + countTensors(x.List, depth+1)
		for _, e := range x.Items {
			n += countTensors(e, depth+1)
		}
	}
	return n
}

// WriteText renders s as aligned "label: value" lines in a fixed order.
func (s Summary) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	line := func(label, format string, args ...any) {
		fmt.Fprintf(bw, "%-19s %s\n", label+":", fmt.Sprintf(format, args...))
	}
	optInt := func(p *int64) string {
		if p == nil {
			return "-"
		}
		return strconv.FormatInt(*p, 10)
	}
	orDash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	line("name", "%s", display(s.Name))
	if s.ArchiveRoot != "" {
		line("format", "%s (root %s)", s.Format, strconv.Quote(s.ArchiveRoot))
	} else {
		line("format", "%s", s.Format)
	}
	line("lightning version", "%s", display(orDash(s.LightningVersion)))
	if s.LegacyLightningVersion != "" {
		line("upgraded from", "%s", display(s.LegacyLightningVersion))
	}
	line("epoch", "%s", optInt(s.Epoch))
	line("global step", "%s", optInt(s.GlobalStep))
	line("callbacks", "%d", len(s.Callbacks))
	for _, c := range s.Callbacks {
		fmt.Fprintf(bw, "  %s\n", display(c.Key))
		parts := []string{"class=" + display(c.Class)}
		if c.Monitor != "" {
			parts = append(parts, "monitor="+display(c.Monitor))
		}
		if c.Mode != "" {
			parts = append(parts, "mode="+display(c.Mode))
		}
		if c.BestScore != nil {
			parts = append(parts, "best="+c.BestScore.String())
		}
		if c.BestModelPath != "" {
			parts = append(parts, "path="+display(c.BestModelPath))
		}
		fmt.Fprintf(bw, "    %s\n", strings.Join(parts, " "))
	}
	line("metrics", "%d", len(s.Metrics))
	for _, m := range s.Metrics {
		fmt.Fprintf(bw, "  %s = %s\n", display(m.Name), m.Value)
	}
	line("hyper-parameters", "%s", orDash(displayList(s.HyperParameterKeys)))
	line("tensors", "%d (%d bytes)", s.TensorCount, s.TensorBytes)
	line("pickle", "%d bytes, sha256 %s", s.PickleSize, s.PickleSHA256)
	switch s.WeightsOnly {
	case WeightsOnlyLoads:
		line("weights_only", "loads with torch.load(weights_only=True)")
	case WeightsOnlyNeedsSafeGlobals:
		line("weights_only", "loads with torch.load(weights_only=True) after torch.serialization.add_safe_globals(%s)", displayList(s.SafeGlobalsNeeded))
	default:
		if len(s.DangerousGlobals) > 0 {
			line("weights_only", "refused; without weights_only, torch.load would run dangerous code")
		} else {
			line("weights_only", "refused (unknown globals); review them before torch.load")
		}
	}
	line("dangerous globals", "%s", orDash(displayList(s.DangerousGlobals)))
	line("unknown globals", "%s", orDash(displayList(s.UnknownGlobals)))
	return bw.Flush()
}

// display renders a string that may come from inside the pickle for a
// terminal (safetext.Line: control characters escaped, nothing forges a line).
func display(s string) string { return safetext.Line(s) }

func displayList(ss []string) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = display(s)
	}
	return strings.Join(out, ", ")
}

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
