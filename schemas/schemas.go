// Package schemas holds the JSON Schemas (draft 2020-12) of every checkpoint-metadata
// schema_version ckptmeta knows, embedded in the binary, and the registry that orders them.
//
// The registry is the one source of truth for the version list: a version exists when its
// file checkpoint-metadata-<version>.schema.json is embedded. Versions are ordered as semver
// ("1.0" is 1.0.0) and always written back exactly as the registry spells them. The
// pseudo-version [Legacy] ("0") covers every shape written before schema_version existed.
//
// Each schema is compiled at most once per process, on first use, so a run that only sees
// 1.0 files never pays for compiling 2.0. Nothing here touches the network or the file
// system: schema references resolve only to the embedded files and to the documents given.
//
// A team's own fields: an extension file (a JSON Schema naming the versions it extends
// with "x-ckptmeta-versions", see [ParseExtension]) is combined with those versions by
// allOf in a new registry ([Registry.WithExtensions]); the keys it defines are then no
// longer unknown keys, and every package that takes a registry (validate, catalog,
// migrate) sees the combined schemas.
package schemas

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/Masterminds/semver/v3"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Legacy is the pseudo-version of sidecars without a schema_version.
const Legacy = "0"

//go:embed checkpoint-metadata-*.schema.json CHANGELOG.md
var files embed.FS

// Schema is one embedded schema version.
type Schema struct {
	Version  string // as written in sidecars: "1.0"
	ID       string // the schema's $id
	Title    string // one line, for `ckptmeta schema list`
	sem      *semver.Version
	source   []byte
	compile  func() (*jsonschema.Schema, error)
	compiled atomic.Bool // compile has been called
}

// Source returns the schema document exactly as embedded.
func (s *Schema) Source() []byte { return bytes.Clone(s.source) }

// Compiled returns the compiled schema; it is compiled once per process.
func (s *Schema) Compiled() (*jsonschema.Schema, error) { return s.compile() }

// IsCompiled reports whether this process has compiled the schema (or begun to): for
// diagnostics, and for the tests that prove a path needs no schema (a results-cache hit).
func (s *Schema) IsCompiled() bool { return s.compiled.Load() }

// Validate checks a JSON value (map[string]any, []any, string, json.Number, bool, nil)
// against the schema. A failure is returned as *jsonschema.ValidationError, unchanged.
func (s *Schema) Validate(instance any) error {
	c, err := s.compile()
	if err != nil {
		return err
	}
	return c.Validate(instance)
}

// Registry is the ordered set of known schema versions.
//
// A registry is immutable once made: [Registry.WithExtensions] returns a new one. Its
// [Registry.Digest] identifies its content (for caches keyed on what a check depends on).
type Registry struct {
	list       []*Schema // ascending
	extensions []string  // the extension files combined in, in order
	digestOnce sync.Once
	digest     string
}

// UnknownVersionError reports a schema_version the registry does not have.
type UnknownVersionError struct {
	Version string
	Known   []string
}

func (e *UnknownVersionError) Error() string {
	return fmt.Sprintf("unknown schema_version %q (known: %s)", e.Version, strings.Join(e.Known, ", "))
}

var defaultRegistry = sync.OnceValue(func() *Registry {
	r, err := load(files)
	if err != nil {
		// The embedded files are part of the build; TestDefault proves they load.
		panic("schemas: embedded schemas are broken: " + err.Error())
	}
	return r
})

// Default returns the registry of the embedded schemas.
func Default() *Registry { return defaultRegistry() }

func load(fsys fs.FS) (*Registry, error) {
	names, err := fs.Glob(fsys, "checkpoint-metadata-*.schema.json")
	if err != nil {
		return nil, err
	}
	r := &Registry{}
	for _, name := range names {
		version := strings.TrimSuffix(strings.TrimPrefix(name, "checkpoint-metadata-"), ".schema.json")
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		s, err := newSchema(version, src, compileTrusted)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		r.list = append(r.list, s)
	}
	sort.Slice(r.list, func(i, j int) bool { return r.list[i].sem.LessThan(r.list[j].sem) })
	return r, nil
}

// newSchema makes the registry's entry for one schema document; compile is how it is
// compiled on first use: [compileTrusted] for the embedded files, [Compile] for documents
// that carry a user's content (schemas combined with extensions).
func newSchema(version string, src []byte, compile func(id string, src []byte) (*jsonschema.Schema, error)) (*Schema, error) {
	sem, err := semver.NewVersion(version)
	if err != nil {
		return nil, fmt.Errorf("version %q: %w", version, err)
	}
	head, err := readHead(src)
	if err != nil {
		return nil, err
	}
	s := &Schema{Version: version, ID: head.ID, Title: head.Title, sem: sem, source: src}
	// The full parse waits for the first use: a run usually needs one version of four.
	s.compile = sync.OnceValues(func() (*jsonschema.Schema, error) {
		s.compiled.Store(true)
		return compile(head.ID, src)
	})
	return s, nil
}

// Compile compiles one JSON Schema document (draft 2020-12 unless it says otherwise) the
// way the embedded schemas are compiled: id is its $id, and nothing else may be loaded (no
// file or network loader). Other published schemas (the config file's) use it too.
func Compile(id string, src []byte) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(src))
	if err != nil {
		return nil, err
	}
	return compileOffline(id, doc)
}

// trustedBase is the URL under which the embedded schemas are added to the compiler.
// jsonschema/v6 validates every document it compiles against its metaschema, except those
// added under json-schema.org (its own metaschemas; v6.0.3 roots.addRoot) and offers no
// option to skip it: that check was half the cost of compiling schema 1.0 (0.7 ms of a
// one-file run's 11). The embedded schemas are part of the build, and
// TestEmbeddedSchemasValid compiles each through [Compile] (metaschema checked), so at run
// time they are trusted. Nothing is fetched from this URL (the compiler has no loader); the
// schema's $id stays its identity for its own references, and ckptmeta's findings name the
// instance location and the error kind, never the schema's URL. If a later jsonschema
// validates these too, only the saving is lost.
const trustedBase = "https://json-schema.org/x-ckptmeta-embedded/"

// compileTrusted is [Compile] for an embedded schema: without the metaschema check.
func compileTrusted(id string, src []byte) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(src))
	if err != nil {
		return nil, err
	}
	u := trustedBase + path2id(id)
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(jsonschema.SchemeURLLoader{})
	if err := c.AddResource(u, doc); err != nil {
		return nil, err
	}
	return c.Compile(u)
}

// head is what the registry needs of a schema before it is compiled.
type head struct{ ID, Title string }

// readHead reads the top-level "$id" and "title" of a schema document. It stops once it
// has both (they open every embedded schema), so building the registry, which every run
// does, does not parse four whole schemas; the full parse waits for [Schema.Compiled].
func readHead(src []byte) (head, error) {
	var h head
	dec := json.NewDecoder(bytes.NewReader(src))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return h, fmt.Errorf("schemas: not a JSON object (%v)", err)
	}
	haveID, haveTitle := false, false
	for dec.More() && !(haveID && haveTitle) {
		t, err := dec.Token()
		if err != nil {
			return h, err
		}
		var dst *string
		switch t {
		case "$id":
			dst, haveID = &h.ID, true
		case "title":
			dst, haveTitle = &h.Title, true
		}
		var v json.RawMessage
		if dst == nil {
			err = dec.Decode(&v)
		} else {
			err = dec.Decode(dst)
		}
		if err != nil {
			return h, fmt.Errorf("schemas: %v: %w", t, err)
		}
	}
	return h, nil
}

// Versions lists the known versions in ascending order, [Legacy] first.
func (r *Registry) Versions() []string {
	out := make([]string, len(r.list))
	for i, s := range r.list {
		out[i] = s.Version
	}
	return out
}

// All returns the schemas in ascending order.
func (r *Registry) All() []*Schema { return append([]*Schema(nil), r.list...) }

// Latest returns the newest schema.
func (r *Registry) Latest() *Schema { return r.list[len(r.list)-1] }

// Lookup finds a version. "1.0" and "1.0.0" are the same version; the returned
// Schema carries the registry's spelling. An unknown version is *UnknownVersionError.
func (r *Registry) Lookup(version string) (*Schema, error) {
	if version == "latest" {
		return r.Latest(), nil
	}
	for _, s := range r.list { // the registry's own spelling, as nearly every file has it
		if s.Version == version {
			return s, nil
		}
	}
	if sem, err := semver.NewVersion(version); err == nil {
		for _, s := range r.list {
			if s.sem.Equal(sem) {
				return s, nil
			}
		}
	}
	return nil, &UnknownVersionError{Version: version, Known: r.Versions()}
}

// Compare orders two known versions: -1, 0 or +1.
func (r *Registry) Compare(a, b string) (int, error) {
	sa, err := r.Lookup(a)
	if err != nil {
		return 0, err
	}
	sb, err := r.Lookup(b)
	if err != nil {
		return 0, err
	}
	return sa.sem.Compare(sb.sem), nil
}

// Newer reports whether version parses as a version later than the latest known one,
// which ckptmeta must never touch.
func (r *Registry) Newer(version string) bool {
	for _, s := range r.list {
		if s.Version == version {
			return false
		}
	}
	sem, err := semver.NewVersion(version)
	return err == nil && sem.GreaterThan(r.Latest().sem)
}

// Changelog returns the embedded CHANGELOG.md describing every version.
func Changelog() []byte {
	b, err := files.ReadFile("CHANGELOG.md")
	if err != nil {
		panic(errors.New("schemas: CHANGELOG.md is not embedded"))
	}
	return b
}
