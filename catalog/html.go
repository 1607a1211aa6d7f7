package catalog

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/ckptmeta/ckptmeta/internal/safetext"
)

//go:embed status.html.tmpl
var statusTemplateText string

// statusTemplate is parsed on first use: most runs never write HTML.
var statusTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("status").Parse(statusTemplateText))
})

// stateColors are the chart's colours; the page's legend and table use the same ones.
var stateColors = map[State]string{
	StateCurrent:  "#2e7d32",
	StateOutdated: "#9ccc65",
	StateStale:    "#f9a825",
	StateLegacy:   "#8d6e63",
	StateInvalid:  "#c62828",
	StateConflict: "#6a1b9a",
	StateMissing:  "#9e9e9e",
	StateOrphan:   "#1e88e5",
}

const (
	chartWidth  = 640.0 // bar width in px for a full row
	chartLabelH = 18.0  // the experiment name above each bar
	chartBarH   = 16.0
	chartGap    = 10.0
)

type htmlSegment struct {
	State       State
	Color       string
	X, Width    string
	Count       int
	Experiment  string
	Title       string
	Y, TextY    string
	LabelOffset string
}

type htmlBar struct {
	Name     string
	LabelY   string
	Y        string
	Segments []htmlSegment
	Summary  string
}

type htmlRow struct {
	Name     string
	Counts   Counts
	Cells    []int
	Coverage string
	Current  string
}

type htmlPage struct {
	Title       string
	Latest      string
	States      []State
	Colors      map[State]string
	Bars        []htmlBar
	ChartWidth  string
	ChartHeight string
	Rows        []htmlRow
	Total       htmlRow
	Problems    []Problem
	Items       []Item
	Live        bool
	Refresh     int // seconds; 0 = no <meta http-equiv="refresh">
	Note        string
	Events      []htmlEvent
}

type htmlEvent struct{ Time, Action, Path, Detail string }

func f2(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }

func statusHTML(w io.Writer, c *Coverage, items statusItems, o WriteOptions) error {
	p := htmlPage{Title: o.Title, Latest: c.Latest, States: States(), Colors: stateColors, Problems: c.Problems}
	if p.Title == "" {
		p.Title = "ckptmeta status"
	}
	row := func(name string, n Counts) htmlRow {
		r := htmlRow{Name: name, Counts: n, Coverage: pct(n.Percent()), Current: pct(n.CurrentPercent())}
		for _, s := range States() {
			r.Cells = append(r.Cells, n.Get(s))
		}
		return r
	}
	y := 0.0
	for _, e := range c.Experiments {
		name := safetext.Line(displayExperiment(e.Name))
		p.Rows = append(p.Rows, row(name, e.Counts))
		bar := htmlBar{Name: name, LabelY: f2(y + chartLabelH - 4), Y: f2(y + chartLabelH)}
		total := e.Checkpoints + e.Orphans
		x := 0.0
		for _, s := range States() {
			n := e.Get(s)
			if n == 0 || total == 0 {
				continue
			}
			width := chartWidth * float64(n) / float64(total)
			bar.Segments = append(bar.Segments, htmlSegment{State: s, Color: stateColors[s], X: f2(x), Width: f2(width),
				Count: n, Experiment: name, Y: bar.Y, Title: name + ": " + strconv.Itoa(n) + " " + string(s)})
			x += width
		}
		bar.Summary = pct(e.Percent()) + " covered"
		p.Bars = append(p.Bars, bar)
		y += chartLabelH + chartBarH + chartGap
	}
	p.ChartWidth = f2(chartWidth + 120)
	p.ChartHeight = f2(max(y, 1))
	p.Total = row("TOTAL", c.Total)
	err := items.each(func(item *Item) error {
		if it := *item; it.State != StateCurrent {
			it.Checkpoint, it.Version, it.Reason = safetext.Line(it.Checkpoint), safetext.Line(it.Version), safetext.Line(it.Reason)
			it.Sidecars = append([]string(nil), it.Sidecars...)
			for i, s := range it.Sidecars {
				it.Sidecars[i] = safetext.Line(s)
			}
			p.Items = append(p.Items, it)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if l := o.Live; l != nil {
		p.Live, p.Note = true, safetext.Line(l.Note)
		if l.Refresh > 0 {
			p.Refresh = max(1, int(l.Refresh.Round(time.Second)/time.Second))
		}
		for _, e := range l.Events {
			p.Events = append(p.Events, htmlEvent{Time: e.Time.UTC().Format("2006-01-02 15:04:05.000"),
				Action: safetext.Line(e.Action), Path: safetext.Line(e.Path), Detail: safetext.Line(e.Detail)})
		}
	}
	p.Problems = nil
	for _, pr := range c.Problems {
		p.Problems = append(p.Problems, Problem{Path: safetext.Line(pr.Path), Err: errors.New(safetext.Line(fmt.Sprint(pr.Err)))})
	}
	// html/template escapes markup, not control characters or invalid UTF-8 from directory
	// names: the names above are rendered by safetext, and the page passes through it once more
	// so a name added to the template later cannot slip by (the template itself holds no such
	// character, and safetext.Line leaves what it rendered unchanged).
	var page bytes.Buffer
	if err := statusTemplate().Execute(&page, p); err != nil {
		return err
	}
	_, err = io.WriteString(w, safetext.Lines(page.String()))
	return err
}
