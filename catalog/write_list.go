package catalog

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"io"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/ckptmeta/ckptmeta/internal/safetext"
)

// ListFormats lists the formats WriteList knows, the default first.
func ListFormats() []string { return []string{"table", "json", "csv"} }

// ListFormatVersion is the format_version of the list JSON document.
const ListFormatVersion = 1

// WriteList renders entries in format ("" = table). An unknown format is a *FormatError.
func WriteList(w io.Writer, entries []Entry, format string) error {
	switch format {
	case "", "table":
		return listTable(w, entries)
	case "json":
		return listJSON(w, entries)
	case "csv":
		return listCSV(w, entries)
	}
	return &FormatError{Format: format, Known: ListFormats()}
}

func optInt(p *int64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatInt(*p, 10)
}

func optFloat(p *float64, prec int) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'f', prec, 64)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// shortCheckpoint names a checkpoint within its experiment for the table: the path after the
// experiment's directory without "checkpoints" folders ("best.ckpt",
// "20260111_104512_42/epoch-01_step-000412.ckpt"). JSON and CSV keep the full path.
func shortCheckpoint(e Entry) string {
	p := filepath.ToSlash(e.Checkpoint)
	if i := strings.LastIndex(p, "/"+e.Experiment+"/"); e.Experiment != "" && i >= 0 {
		p = p[i+len(e.Experiment)+2:]
	} else {
		p = path.Base(p)
	}
	parts := strings.Split(p, "/")
	kept := parts[:0]
	for _, s := range parts {
		if s != "checkpoints" {
			kept = append(kept, s)
		}
	}
	return strings.Join(kept, "/")
}

func listTable(w io.Writer, entries []Entry) error {
	bw := bufio.NewWriter(w)
	tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
	cols := []string{"EXPERIMENT", "CHECKPOINT", "VERSION", "ARCHITECTURE", "ENCODER", "EPOCH", "STEP", "PRECISION", "RECALL", "HMEAN", "CREATED", "SOURCE"}
	io.WriteString(tw, strings.Join(cols, "\t")+"\n")
	for _, e := range entries {
		cells := []string{displayExperiment(e.Experiment), shortCheckpoint(e), dash(e.SchemaVersion), dash(e.Architecture), dash(e.Encoder),
			dash(optInt(e.Epoch)), dash(optInt(e.Step)), dash(optFloat(e.Precision, 4)), dash(optFloat(e.Recall, 4)),
			dash(optFloat(e.Hmean, 4)), dash(e.Created), e.Source}
		io.WriteString(tw, textRow(cells)+"\n")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return bw.Flush()
}

type jsonList struct {
	FormatVersion int     `json:"format_version"`
	Kind          string  `json:"kind"`
	Count         int     `json:"count"`
	Entries       []Entry `json:"entries"`
}

func listJSON(w io.Writer, entries []Entry) error {
	if entries == nil {
		entries = []Entry{}
	}
	enc := json.NewEncoder(safetext.JSONWriter(w)) // exact names, nothing raw for a terminal
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(jsonList{FormatVersion: ListFormatVersion, Kind: "ckptmeta/list", Count: len(entries), Entries: entries})
}

// csvHeader names the CSV columns exactly as the JSON keys.
var csvHeader = []string{"experiment", "checkpoint", "sidecar", "schema_version", "architecture", "encoder", "epoch", "step",
	"precision", "recall", "hmean", "created", "recorded_path", "source", "problem"}

func listCSV(w io.Writer, entries []Entry) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for _, e := range entries {
		rec := []string{e.Experiment, e.Checkpoint, e.Sidecar, e.SchemaVersion, e.Architecture, e.Encoder, optInt(e.Epoch),
			optInt(e.Step), optFloat(e.Precision, -1), optFloat(e.Recall, -1), optFloat(e.Hmean, -1), e.Created,
			e.RecordedPath, e.Source, e.Problem}
		for i := range rec {
			rec[i] = csvCell(rec[i])
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// textRow joins a table row's cells with tabs for tabwriter. Every cell is rendered by safetext (a tab,
// newline or escape in a directory name would otherwise split the row, forge a line or drive the
// terminal); the first cell starts the line, so it is also kept from reading as a workflow command.
func textRow(cells []string) string {
	out := make([]string, len(cells))
	for i, c := range cells {
		if i == 0 {
			out[i] = safetext.Path(c)
		} else {
			out[i] = safetext.Line(c)
		}
	}
	return strings.Join(out, "\t")
}

// csvNumber is how the numbers we format ourselves look; they are left alone by csvCell.
var csvNumber = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)

// csvCell makes a CSV cell safe to open in a spreadsheet and to print. Following OWASP's CSV
// injection advice, a cell that starts with = + - @ tab or CR (a formula to Excel, LibreOffice and
// Google Sheets) gets a leading single quote, which spreadsheets show as text and do not keep in the
// value; numbers (-0.5) are not formulas and stay as they are. Control characters are escaped
// (safetext.Line) so every record is one line and no terminal escape gets through; -o json carries the
// exact names.
func csvCell(s string) string {
	if s == "" || csvNumber.MatchString(s) {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		s = "'" + s
	}
	return safetext.Line(s)
}
