package catalog

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ckptmeta/ckptmeta/internal/safetext"
)

// StatusFormats lists the formats WriteStatus knows, the default first.
func StatusFormats() []string { return []string{"table", "json", "prometheus", "html"} }

// WriteOptions configures WriteStatus.
type WriteOptions struct {
	// Verbose adds, to the table, one line per checkpoint that is not current.
	Verbose bool
	// Title heads the HTML page; "" = "ckptmeta status".
	Title string
	// Live, when set, makes the HTML page a live one (the page `ckptmeta watch --listen` serves):
	// it reloads itself and lists the latest events. Other formats ignore it.
	Live *LivePage
}

// LivePage is what the live HTML page adds to the status page.
type LivePage struct {
	Refresh time.Duration // the page reloads itself this often (<meta http-equiv="refresh">, no script); 0 = never
	Note    string        // a line under the summary ("start-up scan in progress"); "" = none
	Events  []PageEvent   // the latest events, in the order to show them; none still shows the (empty) section
}

// PageEvent is one row of the live page's events table. Every field is rendered as an untrusted name.
type PageEvent struct {
	Time   time.Time
	Action string
	Path   string
	Detail string
}

// WriteStatus renders c in format ("" = table). An unknown format is a *FormatError.
func WriteStatus(w io.Writer, c *Coverage, format string, o WriteOptions) error {
	return writeStatus(w, c, inMemory[Item](c.Items), format, o)
}

// statusItems is what the status writers read: the items in output order.
type statusItems interface {
	each(fn func(*Item) error) error
}

// writeStatus renders c with items in place of c.Items.
func writeStatus(w io.Writer, c *Coverage, items statusItems, format string, o WriteOptions) error {
	switch format {
	case "", "table":
		return statusTable(w, c, items, o)
	case "json":
		return statusJSON(w, c, items)
	case "prometheus":
		return statusPrometheus(w, c)
	case "html":
		return statusHTML(w, c, items, o)
	}
	return &FormatError{Format: format, Known: StatusFormats()}
}

// tableStates are the table's state columns; orphans get their own column after them.
var tableStates = []State{StateCurrent, StateOutdated, StateStale, StateLegacy, StateInvalid, StateConflict, StateMissing}

func statusTable(w io.Writer, c *Coverage, items statusItems, o WriteOptions) error {
	bw := bufio.NewWriter(w)
	tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
	head := []string{"EXPERIMENT", "CHECKPOINTS"}
	for _, s := range tableStates {
		head = append(head, strings.ToUpper(string(s)))
	}
	head = append(head, "ORPHANS", "COVERAGE%", "CURRENT%")
	row := func(name string, n Counts) {
		cells := []string{name, strconv.Itoa(n.Checkpoints)}
		for _, s := range tableStates {
			cells = append(cells, strconv.Itoa(n.Get(s)))
		}
		cells = append(cells, strconv.Itoa(n.Orphans), pct(n.Percent()), pct(n.CurrentPercent()))
		fmt.Fprint(tw, textRow(cells)+"\n")
	}
	fmt.Fprint(tw, textRow(head)+"\n")
	for _, e := range c.Experiments {
		row(displayExperiment(e.Name), e.Counts)
	}
	row("TOTAL", c.Total)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(bw, "\ncoverage %s (%d of %d checkpoints have a valid, not stale sidecar); current %s (schema_version %s)\n",
		pct(c.Total.Percent()), c.Total.Covered(), c.Total.Checkpoints, pct(c.Total.CurrentPercent()), c.Latest)
	if o.Verbose {
		var lines []string // the checkpoints that are not current, for one Fprintf
		err := items.each(func(it *Item) error {
			if it.State == StateCurrent {
				return nil
			}
			l := fmt.Sprintf("%-8s  %s", it.State, it.Checkpoint)
			if it.State == StateOrphan || it.State == StateConflict || it.State == StateInvalid || it.State == StateLegacy {
				l = fmt.Sprintf("%-8s  %s", it.State, strings.Join(it.Sidecars, ", "))
			}
			if it.Version != "" && it.State != StateInvalid {
				l += " (" + it.Version + ")"
			}
			if it.Reason != "" {
				l += ": " + it.Reason
			}
			lines = append(lines, safetext.Line(l))
			return nil
		})
		if err != nil {
			return err
		}
		if len(lines) > 0 {
			fmt.Fprintf(bw, "\n%s\n", strings.Join(lines, "\n"))
		}
	}
	for _, p := range c.Problems {
		fmt.Fprintf(bw, "problem   %s: %s\n", safetext.Line(p.Path), safetext.Line(fmt.Sprint(p.Err)))
	}
	return bw.Flush()
}

func pct(p float64) string { return strconv.FormatFloat(p, 'f', 1, 64) + "%" }

// round2 keeps JSON percentages readable and byte-stable.
func round2(p float64) float64 { return math.Round(p*100) / 100 }

// StatusFormatVersion is the format_version of the status JSON document.
const StatusFormatVersion = 1

type jsonCounts struct {
	Checkpoints     int     `json:"checkpoints"`
	Current         int     `json:"current"`
	Outdated        int     `json:"outdated"`
	Stale           int     `json:"stale"`
	Legacy          int     `json:"legacy"`
	Invalid         int     `json:"invalid"`
	Conflict        int     `json:"conflict"`
	Missing         int     `json:"missing"`
	Orphans         int     `json:"orphans"`
	Covered         int     `json:"covered"`
	CoveragePercent float64 `json:"coverage_percent"`
	CurrentPercent  float64 `json:"current_percent"`
}

func toJSONCounts(c Counts) jsonCounts {
	return jsonCounts{c.Checkpoints, c.Current, c.Outdated, c.Stale, c.Legacy, c.Invalid, c.Conflict, c.Missing,
		c.Orphans, c.Covered(), round2(c.Percent()), round2(c.CurrentPercent())}
}

type jsonExperiment struct {
	Name string `json:"name"`
	jsonCounts
}

type jsonItem struct {
	Experiment    string   `json:"experiment"`
	Checkpoint    string   `json:"checkpoint"`
	Sidecars      []string `json:"sidecars"`
	State         State    `json:"state"`
	SchemaVersion string   `json:"schema_version"`
	Reason        string   `json:"reason"`
}

type jsonProblem struct {
	Path  string `json:"path"`
	Error string `json:"error"`
}

type jsonStatus struct {
	FormatVersion int              `json:"format_version"`
	Kind          string           `json:"kind"`
	Latest        string           `json:"latest_schema_version"`
	Totals        jsonCounts       `json:"totals"`
	Experiments   []jsonExperiment `json:"experiments"`
	Items         []jsonItem       `json:"items"`
	Problems      []jsonProblem    `json:"problems"`
}

func statusJSON(w io.Writer, c *Coverage, items statusItems) error {
	doc := jsonStatus{FormatVersion: StatusFormatVersion, Kind: "ckptmeta/status", Latest: c.Latest,
		Totals: toJSONCounts(c.Total), Experiments: []jsonExperiment{}, Items: []jsonItem{}, Problems: []jsonProblem{}}
	for _, e := range c.Experiments {
		doc.Experiments = append(doc.Experiments, jsonExperiment{Name: e.Name, jsonCounts: toJSONCounts(e.Counts)})
	}
	for _, p := range c.Problems {
		doc.Problems = append(doc.Problems, jsonProblem{p.Path, p.Err.Error()})
	}
	// The document around the items is encoded whole; the items, one per checkpoint, are
	// streamed into its empty "items" array, laid out as the encoder would lay them out.
	var frame bytes.Buffer
	enc := json.NewEncoder(&frame)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return err
	}
	const marker = `"items": []`
	head, tail, ok := bytes.Cut(frame.Bytes(), []byte(marker))
	if !ok {
		return errors.New("catalog: status document has no items array")
	}
	bw := bufio.NewWriter(safetext.JSONWriter(w)) // exact names, nothing raw for a terminal
	bw.Write(head)
	bw.WriteString(`"items": [`)
	err := jsonElements(bw, items, func(it *Item) any {
		sc := it.Sidecars
		if sc == nil {
			sc = []string{}
		}
		return jsonItem{it.Experiment, it.Checkpoint, sc, it.State, it.Version, it.Reason}
	})
	if err != nil {
		return err
	}
	bw.WriteString("]")
	bw.Write(tail)
	return bw.Flush()
}

// Prometheus text exposition (version 0.0.4), for node_exporter's textfile collector.

// promFloat writes whole numbers (the counts, ratios 0 and 1) without an exponent, and other
// values in Go's shortest form.
func promFloat(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// MetricFamily is one Prometheus metric family of a coverage: the one naming of ckptmeta's
// coverage metrics, shared by `status -o prometheus` and the /metrics of `ckptmeta watch`.
type MetricFamily struct {
	Name    string // ckptmeta_…
	Help    string
	Type    string // "gauge"
	Labels  []string
	Samples []MetricSample
}

// MetricSample is one sample: its label values in the order of MetricFamily.Labels, and its value.
type MetricSample struct {
	LabelValues []string
	Value       float64
}

// MetricFamilies returns c as Prometheus gauges. Label values are names as the exposition
// carries them: exact, except that control characters other than line feed and invalid UTF-8
// are rendered by safetext (the format's own escapes of backslash, quote and line feed are the
// writer's job).
func MetricFamilies(c *Coverage) []MetricFamily {
	exp := []string{"experiment"}
	var (
		checkpoints = MetricFamily{Name: "ckptmeta_checkpoints", Help: "Checkpoints by sidecar state and experiment.", Type: "gauge", Labels: []string{"experiment", "state"}}
		orphans     = MetricFamily{Name: "ckptmeta_orphan_sidecars", Help: "Sidecars whose checkpoint does not exist, by experiment.", Type: "gauge", Labels: exp}
		coverage    = MetricFamily{Name: "ckptmeta_coverage_ratio", Help: "Share of checkpoints with a valid, not stale sidecar (current or outdated), by experiment.", Type: "gauge", Labels: exp}
		current     = MetricFamily{Name: "ckptmeta_current_ratio", Help: "Share of checkpoints whose sidecar is at the latest schema_version and not stale, by experiment.", Type: "gauge", Labels: exp}
	)
	for _, e := range c.Experiments {
		name := labelValue(e.Name)
		for _, s := range tableStates {
			checkpoints.Samples = append(checkpoints.Samples, MetricSample{[]string{name, string(s)}, float64(e.Get(s))})
		}
		orphans.Samples = append(orphans.Samples, MetricSample{[]string{name}, float64(e.Orphans)})
		coverage.Samples = append(coverage.Samples, MetricSample{[]string{name}, e.Percent() / 100})
		current.Samples = append(current.Samples, MetricSample{[]string{name}, e.CurrentPercent() / 100})
	}
	return []MetricFamily{checkpoints, orphans, coverage, current,
		{Name: "ckptmeta_overall_coverage_ratio", Help: "Share of all checkpoints with a valid, not stale sidecar.", Type: "gauge",
			Samples: []MetricSample{{nil, c.Total.Percent() / 100}}},
		{Name: "ckptmeta_overall_current_ratio", Help: "Share of all checkpoints whose sidecar is current.", Type: "gauge",
			Samples: []MetricSample{{nil, c.Total.CurrentPercent() / 100}}},
		{Name: "ckptmeta_scan_problems", Help: "Paths the scan could not read.", Type: "gauge",
			Samples: []MetricSample{{nil, float64(len(c.Problems))}}},
	}
}

// labelValue renders a name for a label value: line feeds stay (the format escapes them), every
// other control character and invalid UTF-8 is rendered by safetext.
func labelValue(s string) string {
	parts := strings.Split(s, "\n")
	for i, p := range parts {
		parts[i] = safetext.Line(p)
	}
	return strings.Join(parts, "\n")
}

// escapeLabel escapes a label value as the exposition format defines (backslash, double quote, line feed).
var escapeLabel = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace

func statusPrometheus(w io.Writer, c *Coverage) error {
	bw := bufio.NewWriter(w)
	for _, f := range MetricFamilies(c) {
		fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s %s\n", f.Name, f.Help, f.Name, f.Type)
		for _, s := range f.Samples {
			bw.WriteString(f.Name)
			if len(f.Labels) > 0 {
				bw.WriteByte('{')
				for i, l := range f.Labels {
					if i > 0 {
						bw.WriteByte(',')
					}
					fmt.Fprintf(bw, "%s=\"%s\"", l, escapeLabel(s.LabelValues[i]))
				}
				bw.WriteByte('}')
			}
			fmt.Fprintf(bw, " %s\n", promFloat(s.Value))
		}
	}
	return bw.Flush()
}
