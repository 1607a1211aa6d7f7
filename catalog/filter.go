package catalog

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Filter and sort errors. Each is wrapped in a *FilterError or *SortError naming the input.
var (
	ErrUnknownField = errors.New("unknown field")
	ErrBadOperator  = errors.New("bad operator")
	ErrBadValue     = errors.New("bad value")
)

// FilterError reports a filter expression List cannot use.
type FilterError struct {
	Expr string
	Err  error // wraps ErrUnknownField, ErrBadOperator or ErrBadValue
}

func (e *FilterError) Error() string { return fmt.Sprintf("catalog: filter %q: %v", e.Expr, e.Err) }
func (e *FilterError) Unwrap() error { return e.Err }

// SortError reports a sort key List cannot use.
type SortError struct {
	Key string
	Err error // wraps ErrUnknownField
}

func (e *SortError) Error() string { return fmt.Sprintf("catalog: sort key %q: %v", e.Key, e.Err) }
func (e *SortError) Unwrap() error { return e.Err }

type fieldKind int

const (
	kindString fieldKind = iota
	kindInt
	kindFloat
)

type field struct {
	name string
	kind fieldKind
	str  func(*Entry) string
	num  func(*Entry) (float64, bool) // false when the value is null
}

func intField(get func(*Entry) *int64) func(*Entry) (float64, bool) {
	return func(e *Entry) (float64, bool) {
		if p := get(e); p != nil {
			return float64(*p), true
		}
		return 0, false
	}
}

func floatField(get func(*Entry) *float64) func(*Entry) (float64, bool) {
	return func(e *Entry) (float64, bool) {
		if p := get(e); p != nil {
			return *p, true
		}
		return 0, false
	}
}

// fields are the filterable and sortable columns, named as in the JSON and CSV outputs.
var fields = []field{
	{name: "experiment", str: func(e *Entry) string { return e.Experiment }},
	{name: "checkpoint", str: func(e *Entry) string { return e.Checkpoint }},
	{name: "sidecar", str: func(e *Entry) string { return e.Sidecar }},
	{name: "schema_version", str: func(e *Entry) string { return e.SchemaVersion }},
	{name: "architecture", str: func(e *Entry) string { return e.Architecture }},
	{name: "encoder", str: func(e *Entry) string { return e.Encoder }},
	{name: "epoch", kind: kindInt, num: intField(func(e *Entry) *int64 { return e.Epoch })},
	{name: "step", kind: kindInt, num: intField(func(e *Entry) *int64 { return e.Step })},
	{name: "precision", kind: kindFloat, num: floatField(func(e *Entry) *float64 { return e.Precision })},
	{name: "recall", kind: kindFloat, num: floatField(func(e *Entry) *float64 { return e.Recall })},
	{name: "hmean", kind: kindFloat, num: floatField(func(e *Entry) *float64 { return e.Hmean })},
	{name: "created", str: func(e *Entry) string { return e.Created }},
	{name: "recorded_path", str: func(e *Entry) string { return e.RecordedPath }},
	{name: "source", str: func(e *Entry) string { return e.Source }},
	{name: "problem", str: func(e *Entry) string { return e.Problem }},
}

// aliases are the other names people type for a field.
var aliases = map[string]string{
	"version": "schema_version", "global_step": "step", "created_at": "created",
	"exp": "experiment", "exp_name": "experiment", "arch": "architecture", "backbone": "encoder",
}

// Fields lists the field names filters and sort keys accept, in column order.
func Fields() []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f.name
	}
	return out
}

func lookupField(name string) (*field, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	if a, ok := aliases[n]; ok {
		n = a
	}
	for i := range fields {
		if fields[i].name == n {
			return &fields[i], nil
		}
	}
	return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownField, name, strings.Join(Fields(), ", "))
}

// Op is a filter operator.
type Op string

// The operators. Ordering operators compare numbers numerically and strings byte-wise
// (which orders ISO timestamps and schema versions below 10.0 correctly); Contains is a
// substring test and only applies to text fields.
const (
	OpEq       Op = "="
	OpNe       Op = "!="
	OpLt       Op = "<"
	OpLe       Op = "<="
	OpGt       Op = ">"
	OpGe       Op = ">="
	OpContains Op = "~"
)

// longest first, so "<=" is not read as "<" followed by "=…".
var operators = []Op{OpLe, OpGe, OpNe, "==", OpLt, OpGt, OpEq, OpContains}

// Filter is one parsed expression FIELD OP VALUE, e.g. hmean>0.9.
//
// An empty VALUE tests for absence: "hmean=" keeps entries without hmean, "hmean!=" those with
// one. A null field fails every other comparison.
type Filter struct {
	Field string // canonical field name
	Op    Op
	Value string
	f     *field
	num   float64
}

// ParseFilter parses FIELD OP VALUE. Errors are *FilterError wrapping ErrUnknownField,
// ErrBadOperator or ErrBadValue.
func ParseFilter(expr string) (Filter, error) {
	fail := func(err error) (Filter, error) { return Filter{}, &FilterError{Expr: expr, Err: err} }
	s := strings.TrimSpace(expr)
	i := 0
	for i < len(s) && (s[i] == '_' || s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z' || s[i] >= '0' && s[i] <= '9') {
		i++
	}
	if i == 0 {
		return fail(fmt.Errorf("%w: expression must start with a field name (known: %s)", ErrUnknownField, strings.Join(Fields(), ", ")))
	}
	name := s[:i]
	f, err := lookupField(name)
	if err != nil {
		return fail(err)
	}
	rest := strings.TrimLeft(s[i:], " \t")
	var op Op
	for _, o := range operators {
		if strings.HasPrefix(rest, string(o)) {
			op = o
			break
		}
	}
	if op == "" {
		return fail(fmt.Errorf("%w after %q: want one of =, !=, <, <=, >, >=, ~", ErrBadOperator, name))
	}
	value := strings.TrimSpace(rest[len(op):])
	if op == "==" {
		op = OpEq
	}
	if strings.ContainsAny(value[:min(len(value), 1)], "=<>!~") {
		return fail(fmt.Errorf("%w %q: did you mean one of =, !=, <, <=, >, >=, ~?", ErrBadOperator, string(op)+value[:1]))
	}
	if len(value) >= 2 && (value[0] == '"' || value[0] == '\'') && value[len(value)-1] == value[0] {
		value = value[1 : len(value)-1]
	}
	flt := Filter{Field: f.name, Op: op, Value: value, f: f}
	if value == "" {
		if op != OpEq && op != OpNe {
			return fail(fmt.Errorf("%w: %s needs a value", ErrBadValue, op))
		}
		return flt, nil
	}
	switch f.kind {
	case kindInt:
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return fail(fmt.Errorf("%w %q: %s is an integer", ErrBadValue, value, f.name))
		}
		flt.num = float64(n)
	case kindFloat:
		n, err := strconv.ParseFloat(value, 64)
		if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
			return fail(fmt.Errorf("%w %q: %s is a number", ErrBadValue, value, f.name))
		}
		flt.num = n
	}
	if op == OpContains && f.kind != kindString {
		return fail(fmt.Errorf("%w: ~ applies to text fields, %s is a number", ErrBadOperator, f.name))
	}
	return flt, nil
}

// String prints the filter so that ParseFilter reads it back: a value with surrounding spaces,
// or one that starts with an operator or quote character, is quoted.
func (f Filter) String() string {
	v := f.Value
	if v != strings.TrimSpace(v) || (v != "" && strings.ContainsAny(v[:1], "=<>!~\"'")) {
		q := `"`
		if strings.Contains(v, `"`) {
			q = "'"
		}
		v = q + v + q
	}
	return f.Field + string(f.Op) + v
}

// Match reports whether e passes the filter.
func (f Filter) Match(e *Entry) bool {
	if f.f.kind == kindString {
		v := f.f.str(e)
		switch f.Op {
		case OpEq:
			return v == f.Value
		case OpNe:
			return v != f.Value
		case OpContains:
			return strings.Contains(v, f.Value)
		}
		if v == "" {
			return false
		}
		return ordered(f.Op, strings.Compare(v, f.Value))
	}
	v, ok := f.f.num(e)
	if f.Value == "" {
		return ok == (f.Op == OpNe)
	}
	if !ok {
		return false
	}
	switch f.Op {
	case OpEq:
		return v == f.num
	case OpNe:
		return v != f.num
	}
	return ordered(f.Op, cmp.Compare(v, f.num))
}

func ordered(op Op, c int) bool {
	switch op {
	case OpLt:
		return c < 0
	case OpLe:
		return c <= 0
	case OpGt:
		return c > 0
	case OpGe:
		return c >= 0
	}
	return false
}

// Filters is a conjunction of filters.
type Filters []Filter

// ParseFilters parses each expression; the first error is returned.
func ParseFilters(exprs []string) (Filters, error) {
	out := make(Filters, 0, len(exprs))
	for _, x := range exprs {
		f, err := ParseFilter(x)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// Match reports whether e passes every filter.
func (fs Filters) Match(e *Entry) bool {
	for _, f := range fs {
		if !f.Match(e) {
			return false
		}
	}
	return true
}

// SortKey is one sort column.
type SortKey struct {
	Field      string
	Descending bool
	f          *field
}

// ParseSort reads comma-separated field names, each optionally prefixed with "-" for
// descending order: "-hmean,epoch". "" means the default order (experiment, checkpoint),
// which also breaks every tie.
func ParseSort(spec string) ([]SortKey, error) {
	var keys []SortKey
	for _, part := range strings.Split(spec, ",") {
		raw := part
		part = strings.TrimSpace(part)
		if part == "" {
			if strings.TrimSpace(spec) == "" {
				continue
			}
			return nil, &SortError{Key: raw, Err: fmt.Errorf("%w: empty key", ErrUnknownField)}
		}
		k := SortKey{}
		switch part[0] {
		case '-':
			k.Descending, part = true, part[1:]
		case '+':
			part = part[1:]
		}
		f, err := lookupField(part)
		if err != nil {
			return nil, &SortError{Key: raw, Err: err}
		}
		k.Field, k.f = f.name, f
		keys = append(keys, k)
	}
	return keys, nil
}

// SortEntries sorts stably by keys, then experiment and checkpoint. Empty strings and null
// numbers go last whichever the direction, so "-hmean" starts with the best known hmean.
func SortEntries(es []Entry, keys []SortKey) {
	order := entryOrder(keys)
	sort.SliceStable(es, func(i, j int) bool { return order(&es[i], &es[j]) < 0 })
}

// entryOrder compares entries by keys, then experiment and checkpoint (SortEntries' order).
func entryOrder(keys []SortKey) func(a, b *Entry) int {
	exp, _ := lookupField("experiment")
	ck, _ := lookupField("checkpoint")
	all := append(append([]SortKey(nil), keys...), SortKey{Field: exp.name, f: exp}, SortKey{Field: ck.name, f: ck})
	return func(a, b *Entry) int {
		for _, k := range all {
			if c := compareBy(k, a, b); c != 0 {
				return c
			}
		}
		return 0
	}
}

func compareBy(k SortKey, a, b *Entry) int {
	var c int
	if k.f.kind == kindString {
		x, y := k.f.str(a), k.f.str(b)
		switch {
		case x == y:
			return 0
		case x == "":
			return 1
		case y == "":
			return -1
		}
		c = strings.Compare(x, y)
	} else {
		x, okx := k.f.num(a)
		y, oky := k.f.num(b)
		switch {
		case !okx && !oky:
			return 0
		case !okx:
			return 1
		case !oky:
			return -1
		}
		c = cmp.Compare(x, y)
	}
	if k.Descending {
		c = -c
	}
	return c
}
