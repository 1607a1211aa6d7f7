package catalog

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/ckptmeta/ckptmeta/internal/fsutil"
	"github.com/ckptmeta/ckptmeta/internal/resultcache"

	"github.com/ckptmeta/ckptmeta/internal/sidecar"
	"github.com/ckptmeta/ckptmeta/schemas"
	"github.com/ckptmeta/ckptmeta/validate"
)

// State is what Status concluded about one checkpoint (or, for StateOrphan, one sidecar).
type State string

// The states, in the order every output lists them.
const (
	StateCurrent  State = "current"  // valid sidecar at the latest schema_version, not stale
	StateOutdated State = "outdated" // valid sidecar at an older schema_version
	StateStale    State = "stale"    // valid sidecar whose fingerprint says the checkpoint changed since
	StateLegacy   State = "legacy"   // a well-formed unversioned sidecar (V0 JSON, flat YAML), or only a valid .metadata.json
	StateInvalid  State = "invalid"  // the sidecar that counts is invalid or unreadable
	StateConflict State = "conflict" // two or more YAML sidecars for one checkpoint
	StateMissing  State = "missing"  // a checkpoint without any sidecar
	StateOrphan   State = "orphan"   // a sidecar whose checkpoint does not exist
)

// States lists every state in output order.
func States() []State {
	return []State{StateCurrent, StateOutdated, StateStale, StateLegacy, StateInvalid, StateConflict, StateMissing, StateOrphan}
}

// Covered reports whether a checkpoint in state s counts towards coverage: it has a valid
// sidecar of a known version whose facts still describe it. Stale sidecars describe another
// checkpoint; legacy files are rejected by `ckptmeta validate` until migrated.
func (s State) Covered() bool { return s == StateCurrent || s == StateOutdated }

// StatusOptions configures Status.
type StatusOptions struct {
	Exclude  []string          // glob patterns handed to sidecar.Walk
	NoStale  bool              // skip the staleness check (never opens a checkpoint)
	Jobs     int               // files read at once; 0 = GOMAXPROCS
	Registry *schemas.Registry // nil = schemas.Default()
	Validate validate.Options  // options for the validator
	// OnDir, when set, is called with each directory the walk enters, just before it is
	// listed, from the walk's goroutine (`ckptmeta watch` adds its watches there; see
	// sidecar.WalkDirs).
	OnDir func(dir string)
}

// Item is the verdict on one checkpoint, or on one orphan sidecar.
type Item struct {
	Experiment string   // sidecar.Experiment of the checkpoint
	Checkpoint string   // path as walked; for an orphan, the checkpoint its name points to
	Sidecars   []string // the sidecars considered, YAML first, in preference order
	State      State
	Version    string // schema_version of the deciding sidecar; "" when none was read
	Reason     string // why the state is not current (first error, stale detail); "" otherwise
}

// Counts is a tally of states. Checkpoints counts every state but orphans.
type Counts struct {
	Checkpoints int
	Current     int
	Outdated    int
	Stale       int
	Legacy      int
	Invalid     int
	Conflict    int
	Missing     int
	Orphans     int
}

// Get returns the count for one state.
func (c Counts) Get(s State) int {
	switch s {
	case StateCurrent:
		return c.Current
	case StateOutdated:
		return c.Outdated
	case StateStale:
		return c.Stale
	case StateLegacy:
		return c.Legacy
	case StateInvalid:
		return c.Invalid
	case StateConflict:
		return c.Conflict
	case StateMissing:
		return c.Missing
	case StateOrphan:
		return c.Orphans
	}
	return 0
}

func (c *Counts) add(s State) {
	switch s {
	case StateCurrent:
		c.Current++
	case StateOutdated:
		c.Outdated++
	case StateStale:
		c.Stale++
	case StateLegacy:
		c.Legacy++
	case StateInvalid:
		c.Invalid++
	case StateConflict:
		c.Conflict++
	case StateMissing:
		c.Missing++
	case StateOrphan:
		c.Orphans++
		return
	}
	c.Checkpoints++
}

// Covered is the number of checkpoints with a valid sidecar of any known version that is not
// stale: current + outdated.
func (c Counts) Covered() int { return c.Current + c.Outdated }

// Percent is coverage in percent: Covered / Checkpoints × 100. With no checkpoints nothing is
// uncovered, so it is 100.
func (c Counts) Percent() float64 { return percent(c.Covered(), c.Checkpoints) }

// CurrentPercent is Current / Checkpoints × 100 (100 with no checkpoints).
func (c Counts) CurrentPercent() float64 { return percent(c.Current, c.Checkpoints) }

func percent(n, d int) float64 {
	if d == 0 {
		return 100
	}
	return 100 * float64(n) / float64(d)
}

// ExperimentCoverage is the tally of one experiment.
type ExperimentCoverage struct {
	Name string // sidecar.Experiment; "" when the layout has none
	Counts
}

// Coverage is the result of Status.
type Coverage struct {
	Latest      string               // the latest schema_version, what "current" means
	Items       []Item               // sorted by checkpoint path, then first sidecar
	Total       Counts               // over all items
	Experiments []ExperimentCoverage // sorted by name
	Problems    []Problem            // paths the walk could not read; sorted by path
}

// Percent is the overall coverage percentage, for --fail-under.
func (c *Coverage) Percent() float64 { return c.Total.Percent() }

// Status classifies every checkpoint and sidecar under paths. It reads every sidecar that
// decides a state with the validator `ckptmeta validate` uses (in parallel, bounded by
// Jobs), neighbour checks included: a misplaced sidecar is invalid here as there, and,
// unless NoStale, a fingerprint is compared (stale) or fails (checkpoint/unreadable: invalid).
// Groups stream through the workers; only the items are kept, so memory grows by one small
// item per checkpoint and not with the files read ([StatusTo] keeps them on disk). It
// returns an error only when ctx is done; per-file trouble becomes an item's state, and
// paths the walk could not read are Problems.
func Status(ctx context.Context, paths []string, o StatusOptions) (*Coverage, error) {
	var items []Item
	c, err := status(ctx, paths, o, func(it Item) { items = append(items, it) })
	if err != nil {
		return nil, err
	}
	sort.SliceStable(items, func(i, j int) bool { return compareItems(&items[i], &items[j]) < 0 })
	c.Items = items
	return c, nil
}

// StatusTo is Status followed by WriteStatus, in flat memory: the items go to a scratch file
// in os.TempDir as they are decided (a few thousand at a time stay in memory; the file is
// removed before StatusTo returns) and are read back, sorted, to be written, so memory does
// not grow with the checkpoints. The Coverage it returns has every field but Items (nil).
func StatusTo(ctx context.Context, paths []string, o StatusOptions, w io.Writer, format string, wo WriteOptions) (*Coverage, error) {
	if !slices.Contains(StatusFormats(), format) && format != "" {
		return nil, &FormatError{Format: format, Known: StatusFormats()}
	}
	st, err := newSortedScratch("", "ckptmeta-status-*", compareItems, encodeItem, decodeItem)
	if err != nil {
		return nil, err
	}
	defer st.close()
	c, err := status(ctx, paths, o, func(it Item) { st.add(&it) })
	if err != nil {
		return nil, err
	}
	if err := st.sort(); err != nil {
		return nil, err
	}
	return c, writeStatus(w, c, st, format, wo)
}

// status decides every item under paths and hands each to keep, in scan order; the
// Coverage it returns has the totals, experiments and problems, not the items.
func status(ctx context.Context, paths []string, o StatusOptions, keep func(Item)) (*Coverage, error) {
	reg := o.Registry
	if reg == nil {
		reg = schemas.Default()
	}
	vo := o.Validate
	vo.NoStale = vo.NoStale || o.NoStale
	v := validate.New(reg, vo)
	session := v.Session("status", paths)
	defer session.Close()
	latest := reg.Latest().Version
	var problems []Problem
	t := newTally()
	err := streamGroups(ctx, paths, o.Exclude, o.Jobs, o.OnDir, func(p Problem) { problems = append(problems, p) },
		func(g *group) []Item { return itemsFor(g, session, reg, latest) },
		func(g *group, p any) []Item {
			return []Item{{Checkpoint: g.ckpt, Experiment: sidecar.Experiment(g.ckpt), Sidecars: g.sidecars(),
				State: StateInvalid, Reason: fmt.Sprintf("internal error: %v", p)}}
		},
		func(got []Item) {
			for _, it := range got {
				keep(t.add(it))
			}
		})
	if err != nil {
		return nil, err
	}
	return t.coverage(latest, problems), nil
}

// Summarize makes a Coverage of items and problems (both are sorted in place and kept):
// the totals, the tally per experiment, everything in Coverage's order. Status ends with
// it; a caller that keeps items up to date one checkpoint at a time (`ckptmeta watch`)
// makes its coverage with it too, so both count alike.
func Summarize(latest string, items []Item, problems []Problem) *Coverage {
	t := newTally()
	for i := range items {
		items[i] = t.add(items[i])
	}
	c := t.coverage(latest, problems)
	sort.SliceStable(items, func(i, j int) bool { return compareItems(&items[i], &items[j]) < 0 })
	c.Items = items
	return c
}

// encodeItem writes every field of it, exactly (a name that is not valid UTF-8 stays as it
// is), for StatusTo's scratch file; decodeItem reads it back.
func encodeItem(enc *resultcache.Encoder, it *Item) {
	for _, s := range []string{it.Experiment, it.Checkpoint, string(it.State), it.Version, it.Reason} {
		enc.String(s)
	}
	enc.Bool(it.Sidecars != nil)
	enc.Uint(uint64(len(it.Sidecars)))
	for _, s := range it.Sidecars {
		enc.String(s)
	}
}

func decodeItem(d *resultcache.Decoder) Item {
	var it Item
	var state string
	for _, s := range []*string{&it.Experiment, &it.Checkpoint, &state, &it.Version, &it.Reason} {
		*s = d.String()
	}
	it.State = State(state)
	if d.Bool() {
		n := d.Uint()
		it.Sidecars = make([]string, 0, min(n, 1<<10)) // n is ours, but a bad file must not allocate at will
		for range n {
			if !d.OK() {
				break
			}
			it.Sidecars = append(it.Sidecars, d.String())
		}
	}
	return it
}

// compareItems is the order of Coverage.Items: by checkpoint path, then first sidecar.
func compareItems(a, b *Item) int {
	return cmp.Or(strings.Compare(a.Checkpoint, b.Checkpoint), strings.Compare(first(a.Sidecars), first(b.Sidecars)))
}

// tally counts items as they come: the totals and one ExperimentCoverage per experiment.
type tally struct {
	total Counts
	byExp map[string]*ExperimentCoverage
}

func newTally() *tally { return &tally{byExp: map[string]*ExperimentCoverage{}} }

// add counts it and returns it with its experiment's one shared name string.
func (t *tally) add(it Item) Item {
	e := t.byExp[it.Experiment]
	if e == nil {
		e = &ExperimentCoverage{Name: it.Experiment}
		t.byExp[it.Experiment] = e
	}
	it.Experiment = e.Name // one string per experiment, not one per item
	e.add(it.State)
	t.total.add(it.State)
	return it
}

// coverage is the Coverage of what was counted (no Items), problems sorted in place.
func (t *tally) coverage(latest string, problems []Problem) *Coverage {
	c := &Coverage{Latest: latest, Total: t.total, Problems: problems}
	for _, e := range t.byExp {
		c.Experiments = append(c.Experiments, *e)
	}
	sort.Slice(c.Experiments, func(i, j int) bool { return c.Experiments[i].Name < c.Experiments[j].Name })
	sort.SliceStable(c.Problems, func(i, j int) bool { return c.Problems[i].Path < c.Problems[j].Path })
	return c
}

// itemsFor decides the items of one group: one per checkpoint, or one per orphan sidecar.
func itemsFor(g *group, v *validate.Session, reg *schemas.Registry, latest string) []Item {
	it := Item{Checkpoint: g.ckpt, Experiment: sidecar.Experiment(g.ckpt), Sidecars: g.sidecars()}
	switch {
	case !g.exists:
		// One item per orphan sidecar: each is a file someone should delete or re-home. A file
		// that only shares the naming (not checkpoint metadata) is no sidecar at all.
		var out []Item
		for _, s := range it.Sidecars {
			if notMetadata(s) {
				continue
			}
			out = append(out, Item{Checkpoint: g.ckpt, Experiment: it.Experiment, Sidecars: []string{s},
				State: StateOrphan, Reason: "checkpoint does not exist"})
		}
		return out
	case len(g.yaml) > 1:
		it.State = StateConflict
		it.Reason = fmt.Sprintf("%d YAML sidecars for one checkpoint", len(g.yaml))
	case len(it.Sidecars) == 0:
		it.State = StateMissing
	default:
		judge(&it, v, reg, latest)
	}
	return []Item{it}
}

// notMetadata reports a readable file that has a sidecar's name but is not checkpoint
// metadata (validate.IsCheckpointMetadata). Versioned sidecars name schema_version, so
// only the others are parsed.
func notMetadata(p string) bool {
	src, err := fsutil.ReadFile(p, validate.MaxFileSize)
	if err != nil || bytes.Contains(src, []byte("schema_version")) {
		return false
	}
	doc, _ := validate.Parse(p, src)
	return doc != nil && !validate.IsCheckpointMetadata(doc)
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// staleMessage is how validate words sidecar/stale; the item's reason keeps only the detail.
const staleMessage = "checkpoint changed after this sidecar was made: "

// judge decides the state of a checkpoint with exactly one YAML sidecar, or only legacy JSON,
// from the validator's verdict on that sidecar (through the results cache, when there is one:
// the legacy-shape verdict, which reads the document, is kept with it).
func judge(it *Item, v *validate.Session, reg *schemas.Registry, latest string) {
	path := it.Sidecars[0] // YAML when there is one, else the preferred JSON
	legacyOnly := filepath.Ext(path) == ".json"
	res, shape := v.CheckFile(path, func(doc *validate.Document, content *validate.Result) []byte {
		if content.Version != schemas.Legacy {
			return nil
		}
		return []byte(legacyReason(doc, reg))
	})
	it.Version = res.Version
	switch {
	case res.Status == validate.StatusSkipped:
		it.State, it.Reason = StateMissing, path+" is not checkpoint metadata"
		return
	case res.Status == validate.StatusError:
		it.State, it.Reason = StateInvalid, "file/unreadable: "+res.Err.Error()
		return
	case res.Version == schemas.Legacy && onlyLegacyErrors(res):
		// The validator refuses every unversioned document (sidecar/legacy: migrate it). Status
		// tells a well-formed legacy file, which migrate can upgrade, from a broken one.
		it.State, it.Reason = StateLegacy, string(shape)
		if it.Reason != "" {
			it.State = StateInvalid
		}
		return
	case res.Status != validate.StatusValid:
		// Schema errors, and the neighbour checks: misplaced, a checkpoint that cannot be
		// fingerprinted (checkpoint/unreadable).
		it.State, it.Reason = StateInvalid, firstError(res)
		return
	case legacyOnly:
		it.State = StateLegacy
		return
	}
	it.State = StateCurrent
	if cmp, err := reg.Compare(res.Version, latest); err != nil || cmp < 0 {
		it.State = StateOutdated
	}
	for _, f := range res.Findings {
		if f.Rule == "sidecar/stale" {
			it.State, it.Reason = StateStale, strings.TrimPrefix(f.Message, staleMessage)
		}
	}
}

func onlyLegacyErrors(r *validate.Result) bool {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == validate.SeverityError {
			if f.Rule != "sidecar/legacy" {
				return false
			}
			n++
		}
	}
	return n > 0 || r.Status == validate.StatusValid
}

// legacyReason checks a version-0 document against the legacy schema; "" when it fits.
func legacyReason(doc *validate.Document, reg *schemas.Registry) string {
	s, err := reg.Lookup(schemas.Legacy)
	if doc == nil || err != nil {
		return "legacy document cannot be read"
	}
	if err := s.Validate(doc.Value); err != nil {
		return "schema: not a known legacy shape"
	}
	return ""
}

func firstError(r *validate.Result) string {
	if r.Err != nil {
		return r.Err.Error()
	}
	for _, f := range r.Findings {
		if f.Severity != validate.SeverityError {
			continue
		}
		s := f.Rule
		if f.Pointer != "" {
			s += " at " + f.Pointer
		}
		if f.Message != "" {
			s += ": " + f.Message
		}
		return s
	}
	return r.Status.String()
}
