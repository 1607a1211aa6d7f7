package resultcache

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// Fingerprint spells every field of the struct opts by name, as JSON, except the fields skip
// names (each with the reason it cannot change a verdict): the options part of a table's key.
// A field added to the options struct is in it unless skip names it. A field JSON cannot
// spell (a func, a channel) or an unexported one makes the fingerprint unique to this call,
// so no table is shared; [Uncovered] reports such fields for a test to fail on.
func Fingerprint(opts any, skip map[string]string) string {
	rv := reflect.ValueOf(opts)
	rt := rv.Type()
	var b strings.Builder
	for i := range rt.NumField() {
		f := rt.Field(i)
		if _, ok := skip[f.Name]; ok {
			continue
		}
		j, ok := fieldJSON(rv, i)
		if !ok {
			j = fmt.Appendf(nil, "%q", fmt.Sprintf("unfingerprintable %p", &b))
		}
		b.WriteString(f.Name)
		b.WriteByte('=')
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

// fieldJSON spells field i of the struct rv; ok is false for one JSON cannot spell.
func fieldJSON(rv reflect.Value, i int) ([]byte, bool) {
	if !rv.Type().Field(i).IsExported() {
		return nil, false
	}
	j, err := json.Marshal(rv.Field(i).Interface())
	return j, err == nil
}

// Uncovered returns the fields of the options struct type of zero (a zero value) that
// Fingerprint does not cover: not named by skip, and either unchanged in the fingerprint when
// set to a non-zero value, or not fingerprintable. It also names skip entries that are no
// field. Tests call it so a new option cannot be forgotten.
func Uncovered(zero any, skip map[string]string) []string {
	rt := reflect.TypeOf(zero)
	var out []string
	for name := range skip {
		if _, ok := rt.FieldByName(name); !ok {
			out = append(out, name+" (named in skip, not a field)")
		}
	}
	for i := range rt.NumField() {
		f := rt.Field(i)
		if _, ok := skip[f.Name]; ok {
			continue
		}
		v := reflect.New(rt).Elem()
		if !setNonZero(v.Field(i)) {
			out = append(out, f.Name+" (no test value for "+f.Type.String()+")")
			continue
		}
		j, ok := fieldJSON(v, i)
		j0, _ := fieldJSON(reflect.ValueOf(zero), i)
		j2, _ := fieldJSON(v, i)
		switch {
		case !ok:
			out = append(out, f.Name+" (not fingerprintable: give it a JSON form or skip it with a reason)")
		case string(j) == string(j0):
			out = append(out, f.Name+" (does not change the fingerprint)")
		case string(j) != string(j2):
			out = append(out, f.Name+" (fingerprint not stable)")
		}
	}
	return out
}

// setNonZero gives v a value other than its zero value.
func setNonZero(v reflect.Value) bool {
	if !v.CanSet() {
		return false
	}
	switch v.Kind() {
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(7)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(7)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(0.5)
	case reflect.String:
		v.SetString("x")
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		if !setNonZero(s.Index(0)) {
			return false
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		if !setNonZero(k) || !setNonZero(e) {
			return false
		}
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		setNonZero(p.Elem())
		v.Set(p)
	case reflect.Func:
		v.Set(reflect.MakeFunc(v.Type(), func([]reflect.Value) []reflect.Value { return nil }))
	case reflect.Struct:
		ok := false
		for i := range v.NumField() {
			ok = setNonZero(v.Field(i)) || ok
		}
		return ok
	default:
		return false
	}
	return true
}
