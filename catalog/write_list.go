package catalog

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"io"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
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
		io.WriteString(tw, strings.Join(cells, "\t")+"\n")
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
	enc := json.NewEncoder(w)
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
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
