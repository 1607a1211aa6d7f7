package catalog

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/ckptmeta/ckptmeta/internal/safetext"
)

// ListFormats lists the formats WriteList knows, the default first.
func ListFormats() []string { return []string{"table", "json", "csv"} }

// ListFormatVersion is the format_version of the list JSON document.
const ListFormatVersion = 1

// WriteList renders entries in format ("" = table). An unknown format is a *FormatError.
// Every format streams: nothing but the table's column widths is held beyond one row.
func WriteList(w io.Writer, entries []Entry, format string) error {
	if err := checkListFormat(format); err != nil {
		return err
	}
	return writeRows(w, inMemory[Entry](entries), format)
}

// rows is what the list writers read: a count and the entries in output order, possibly
// twice (the table measures its columns first).
type rows interface {
	len() int
	each(fn func(*Entry) error) error
}

func checkListFormat(format string) error {
	switch format {
	case "", "table", "json", "csv":
		return nil
	}
	return &FormatError{Format: format, Known: ListFormats()}
}

func writeRows(w io.Writer, rs rows, format string) error {
	switch format {
	case "json":
		return listJSON(w, rs)
	case "csv":
		return listCSV(w, rs)
	}
	return listTable(w, rs)
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

var tableHead = []string{"EXPERIMENT", "CHECKPOINT", "CKPT", "VERSION", "ARCHITECTURE", "ENCODER", "EPOCH", "STEP", "PRECISION", "RECALL", "HMEAN", "CREATED", "SOURCE", "PROBLEM"}

func tableCells(e *Entry) []string {
	present := "present"
	if !e.CheckpointPresent {
		present = "absent"
	}
	return textCells([]string{displayExperiment(e.Experiment), shortCheckpoint(*e), present, dash(e.SchemaVersion), dash(e.Architecture), dash(e.Encoder),
		dash(optInt(e.Epoch)), dash(optInt(e.Step)), dash(optFloat(e.Precision, 4)), dash(optFloat(e.Recall, 4)),
		dash(optFloat(e.Hmean, 4)), dash(e.Created), e.Source, dash(e.Problem)})
}

// listTable aligns the columns as text/tabwriter would (cell width in runes, two spaces of
// padding, the last column unpadded) without holding the rows: a first pass measures them.
func listTable(w io.Writer, rs rows) error {
	widths := make([]int, len(tableHead))
	measure := func(cells []string) {
		for i, c := range cells[:len(cells)-1] {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	measure(tableHead)
	if err := rs.each(func(e *Entry) error { measure(tableCells(e)); return nil }); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	line := func(cells []string) {
		for i, c := range cells {
			bw.WriteString(c)
			if i < len(cells)-1 {
				bw.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)+2))
			}
		}
		bw.WriteByte('\n')
	}
	line(tableHead)
	if err := rs.each(func(e *Entry) error { line(tableCells(e)); return nil }); err != nil {
		return err
	}
	return bw.Flush()
}

// listJSON streams the list document: {"format_version", "kind", "count", "entries": [...]},
// laid out as json.Encoder's two-space indentation would lay it out.
func listJSON(w io.Writer, rs rows) error {
	bw := bufio.NewWriter(safetext.JSONWriter(w)) // exact names, nothing raw for a terminal
	fmt.Fprintf(bw, "{\n  \"format_version\": %d,\n  \"kind\": \"ckptmeta/list\",\n  \"count\": %d,\n  \"entries\": [", ListFormatVersion, rs.len())
	if err := jsonElements(bw, rs, func(e *Entry) any { return e }); err != nil {
		return err
	}
	bw.WriteString("]\n}\n")
	return bw.Flush()
}

// jsonElements streams the elements of a JSON array that stands one level into a document
// indented by two spaces, as json.Encoder with SetIndent("", "  ") lays them out: each value
// of vs, as value makes it, on lines of its own. The caller writes the "[" before and the
// "]" after.
func jsonElements[T any](bw *bufio.Writer, vs interface{ each(func(*T) error) error }, value func(*T) any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("    ", "  ")
	n := 0
	err := vs.each(func(v *T) error {
		buf.Reset()
		if err := enc.Encode(value(v)); err != nil {
			return err
		}
		if n > 0 {
			bw.WriteByte(',')
		}
		n++
		bw.WriteString("\n    ")
		bw.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
		return nil
	})
	if err == nil && n > 0 {
		bw.WriteString("\n  ")
	}
	return err
}

// csvHeader names the CSV columns exactly as the JSON keys.
var csvHeader = []string{"experiment", "checkpoint", "checkpoint_present", "sidecar", "schema_version", "architecture", "encoder", "epoch", "step",
	"precision", "recall", "hmean", "created", "recorded_path", "source", "problem"}

func listCSV(w io.Writer, rs rows) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	return rs.each(func(e *Entry) error {
		rec := []string{e.Experiment, e.Checkpoint, strconv.FormatBool(e.CheckpointPresent), e.Sidecar, e.SchemaVersion, e.Architecture, e.Encoder, optInt(e.Epoch),
			optInt(e.Step), optFloat(e.Precision, -1), optFloat(e.Recall, -1), optFloat(e.Hmean, -1), e.Created,
			e.RecordedPath, e.Source, e.Problem}
		for i := range rec {
			rec[i] = csvCell(rec[i])
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
		cw.Flush() // csv.Writer buffers 4 KiB at a time; this keeps a write error near its row
		return cw.Error()
	})
}

// textRow joins a table row's cells with tabs for tabwriter. Every cell is rendered by safetext (a tab,
// newline or escape in a directory name would otherwise split the row, forge a line or drive the
// terminal); the first cell starts the line, so it is also kept from reading as a workflow command.
func textRow(cells []string) string { return strings.Join(textCells(cells), "\t") }

func textCells(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		if i == 0 {
			out[i] = safetext.Path(c)
		} else {
			out[i] = safetext.Line(c)
		}
	}
	return out
}

// csvNumber is how the numbers we format ourselves look; they are left alone by csvCell.
var csvNumber = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$`) })

// csvCell makes a CSV cell safe to open in a spreadsheet and to print. Following OWASP's CSV
// injection advice, a cell that starts with = + - @ tab or CR (a formula to Excel, LibreOffice and
// Google Sheets) gets a leading single quote, which spreadsheets show as text and do not keep in the
// value; numbers (-0.5) are not formulas and stay as they are. Control characters are escaped
// (safetext.Line) so every record is one line and no terminal escape gets through; -o json carries the
// exact names.
func csvCell(s string) string {
	if s == "" || csvNumber().MatchString(s) {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		s = "'" + s
	}
	return safetext.Line(s)
}
