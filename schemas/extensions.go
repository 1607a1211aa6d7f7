package schemas

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// VersionsKeyword is the keyword with which an extension file names the schema_versions it
// applies to: "x-ckptmeta-versions": ["1.0", "1.1"]. JSON Schema ignores keywords it does
// not know, so the file stays a plain JSON Schema that editors read as well.
const VersionsKeyword = "x-ckptmeta-versions"

// draft2020 is the only $schema an extension may name (or leave out).
const draft2020 = "https://json-schema.org/draft/2020-12/schema"

// extensionBase is the base URI of an extension without $id: a name, never fetched.
const extensionBase = "https://github.com/ckptmeta/ckptmeta/schemas/extensions/"

// Extension is a team's own JSON Schema (draft 2020-12) for fields on top of built-in
// versions: [Registry.WithExtensions] combines it with each version it names by allOf, and
// the keys it defines stop being unknown keys. Make one with [ParseExtension].
type Extension struct {
	Path     string   // the file, as the user named it (for messages)
	Versions []string // the schema_versions it applies to, from VersionsKeyword
	doc      map[string]any
}

// ExtensionError is an extension file that cannot be used: not readable, not JSON, not a
// valid JSON Schema, a reference out of the file, or versions that do not exist. Its text
// is one line naming the file.
type ExtensionError struct {
	Path string
	Err  error
}

func (e *ExtensionError) Error() string {
	return "schemas: extension " + e.Path + ": " + strings.Join(strings.Fields(e.Err.Error()), " ")
}

func (e *ExtensionError) Unwrap() error { return e.Err }

// ParseExtension reads an extension from the bytes of the file path (the caller reads the
// file; this package touches no file system). The file must be a JSON object, a JSON
// Schema of draft 2020-12 ($schema absent or that draft) that compiles on its own, whose
// references stay inside it (nothing is loaded from a file or the network), with a
// non-empty VersionsKeyword list of strings. Errors are *ExtensionError.
func ParseExtension(path string, src []byte) (*Extension, error) {
	fail := func(format string, args ...any) (*Extension, error) {
		return nil, &ExtensionError{Path: path, Err: fmt.Errorf(format, args...)}
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(src))
	if err != nil {
		return fail("not JSON: %w", err)
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return fail("a JSON Schema extension must be a JSON object")
	}
	if s, ok := doc["$schema"]; ok && s != draft2020 {
		return fail("$schema must be %s (or absent), not %v", draft2020, s)
	}
	raw, ok := doc[VersionsKeyword].([]any)
	if !ok || len(raw) == 0 {
		return fail("%q must list the schema_versions it extends, e.g. \"%s\": [\"1.0\", \"1.1\"]", VersionsKeyword, VersionsKeyword)
	}
	e := &Extension{Path: path, doc: doc}
	for _, r := range raw {
		s, ok := r.(string)
		if !ok {
			return fail("%q holds %v; versions are strings such as \"1.0\"", VersionsKeyword, r)
		}
		e.Versions = append(e.Versions, s)
	}
	if _, ok := doc["$id"]; !ok {
		doc["$id"] = extensionBase + path2id(path)
	}
	id, ok := doc["$id"].(string)
	if !ok {
		return fail("$id must be a string")
	}
	if _, err := compileOffline(id, doc); err != nil {
		return fail("not a valid JSON Schema: %w", err)
	}
	return e, nil
}

// path2id is the file's base name, as the last segment of a default $id.
func path2id(p string) string {
	b := path.Base(filepath.ToSlash(p))
	if b == "." || b == "/" || b == "" {
		return "extension.schema.json"
	}
	return strings.Map(func(r rune) rune {
		if r <= ' ' || strings.ContainsRune(`"#%<>?\^`+"`{|}", r) || r > 0x7e {
			return '_'
		}
		return r
	}, b)
}

// compileOffline compiles doc under id with draft 2020-12 and no loader: a $ref that leaves
// the documents added here (a file, a URL) fails instead of being fetched.
func compileOffline(id string, doc any) (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(jsonschema.SchemeURLLoader{})
	if err := c.AddResource(id, doc); err != nil {
		return nil, err
	}
	return c.Compile(id)
}

// WithExtensions returns a new registry in which every version an extension names is the
// built-in schema combined with the extensions by allOf (in the order given), with the
// keys they define under "properties" (and "patternProperties", also inside allOf, anyOf,
// oneOf, if/then/else) declared in the built-in schema's closed objects, so they are no
// longer unknown keys. The other versions are shared with r. Each combined schema is
// compiled here, so an error shows before any file is checked. Errors are *ExtensionError.
func (r *Registry) WithExtensions(exts ...*Extension) (*Registry, error) {
	if len(exts) == 0 {
		return r, nil
	}
	byVersion := map[string][]*Extension{}
	for _, e := range exts {
		for _, v := range e.Versions {
			s, err := r.Lookup(v)
			if err != nil || v == "latest" || s.Version == Legacy {
				known := r.Versions()[1:]
				return nil, &ExtensionError{Path: e.Path, Err: fmt.Errorf("%s names %q, which is not a schema_version it can extend (known: %s)", VersionsKeyword, v, strings.Join(known, ", "))}
			}
			byVersion[s.Version] = append(byVersion[s.Version], e)
		}
	}
	nr := &Registry{list: make([]*Schema, len(r.list)), extensions: append(append([]string(nil), r.extensions...), paths(exts)...)}
	for i, s := range r.list {
		mine := byVersion[s.Version]
		if len(mine) == 0 {
			nr.list[i] = s
			continue
		}
		cs, err := combine(s, mine)
		if err == nil {
			_, err = cs.Compiled()
		}
		if err != nil {
			return nil, &ExtensionError{Path: strings.Join(paths(mine), ", "), Err: fmt.Errorf("combined with schema %s: %w", s.Version, err)}
		}
		nr.list[i] = cs
	}
	return nr, nil
}

func paths(exts []*Extension) []string {
	out := make([]string, len(exts))
	for i, e := range exts {
		out[i] = e.Path
	}
	return out
}

// Extensions lists the extension files the registry was built with, in order.
func (r *Registry) Extensions() []string { return append([]string(nil), r.extensions...) }

// combine builds the source of s extended by exts: s's document with the extensions'
// keys declared, and the extensions appended to its allOf.
func combine(s *Schema, exts []*Extension) (*Schema, error) {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(s.source))
	if err != nil {
		return nil, err
	}
	root := v.(map[string]any)
	all, _ := root["allOf"].([]any)
	names := make([]string, len(exts))
	for i, e := range exts {
		ext := deepCopy(e.doc).(map[string]any)
		declare(root, ext)
		all = append(all, ext)
		names[i] = path2id(e.Path)
	}
	root["allOf"] = all
	if t, ok := root["title"].(string); ok {
		root["title"] = t + " (+ " + strings.Join(names, ", ") + ")"
	}
	src, err := json.MarshalIndent(root, "", "  ")
	if err != nil {
		return nil, err
	}
	return newSchema(s.Version, append(src, '\n'), Compile)
}

// declare makes the keys ext defines known in base: a name ext lists under "properties"
// that base's closed object (additionalProperties: false) lacks becomes a property
// allowing anything (true), so only ext's own constraint applies to it; a name both define
// is followed down. Likewise for "patternProperties" patterns.
func declare(base, ext map[string]any) {
	for _, sub := range subschemas(ext) {
		closed := base["additionalProperties"] == false
		bprops, _ := base["properties"].(map[string]any)
		if eprops, ok := sub["properties"].(map[string]any); ok {
			for _, name := range slices.Sorted(maps.Keys(eprops)) {
				if b, ok := bprops[name]; ok {
					if bm, ok := b.(map[string]any); ok {
						if em, ok := eprops[name].(map[string]any); ok {
							declare(bm, em)
						}
					}
					continue
				}
				if closed {
					if bprops == nil {
						bprops = map[string]any{}
						base["properties"] = bprops
					}
					bprops[name] = true
				}
			}
		}
		if epat, ok := sub["patternProperties"].(map[string]any); ok && closed {
			bpat, _ := base["patternProperties"].(map[string]any)
			if bpat == nil {
				bpat = map[string]any{}
				base["patternProperties"] = bpat
			}
			for p := range epat {
				if _, ok := bpat[p]; !ok {
					bpat[p] = true
				}
			}
		}
	}
}

// subschemas are ext and the schemas that apply to the same instance inside it.
func subschemas(ext map[string]any) []map[string]any {
	out := []map[string]any{ext}
	for _, kw := range []string{"allOf", "anyOf", "oneOf"} {
		if list, ok := ext[kw].([]any); ok {
			for _, s := range list {
				if m, ok := s.(map[string]any); ok {
					out = append(out, subschemas(m)...)
				}
			}
		}
	}
	for _, kw := range []string{"if", "then", "else"} {
		if m, ok := ext[kw].(map[string]any); ok {
			out = append(out, subschemas(m)...)
		}
	}
	return out
}

func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = deepCopy(x)
		}
		return m
	case []any:
		l := make([]any, len(t))
		for i, x := range t {
			l[i] = deepCopy(x)
		}
		return l
	}
	return v
}

// Digest identifies the registry's content: the hex SHA-256 of every version's name and
// schema bytes (extended ones included), in order. Two registries with equal digests check
// documents alike, so a cache of results may key on it. It is computed once.
func (r *Registry) Digest() string {
	r.digestOnce.Do(func() {
		h := sha256.New()
		for _, s := range r.list {
			fmt.Fprintf(h, "%s\x00%d\x00", s.Version, len(s.source))
			h.Write(s.source)
		}
		r.digest = hex.EncodeToString(h.Sum(nil))
	})
	return r.digest
}
