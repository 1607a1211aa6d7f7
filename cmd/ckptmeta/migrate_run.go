package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/ckptmeta/ckptmeta/internal/safetext"
	"github.com/ckptmeta/ckptmeta/migrate"
	"github.com/ckptmeta/ckptmeta/validate/report"
)

// writeJSONDoc writes one versioned JSON document: format_version, tool, then the
// command's own fields. Strings are exact; nothing raw reaches a terminal.
func writeJSONDoc(out io.Writer, version int, fields map[string]any) error {
	fields["format_version"] = version
	fields["tool"] = map[string]string{"name": "ckptmeta", "version": toolVersion()}
	enc := json.NewEncoder(safetext.JSONWriter(out))
	enc.SetIndent("", "  ")
	return enc.Encode(fields)
}

// migrateOutput is what `migrate` and `fix` (a mode of migrate's runner) print in
// their own way: one file's JSON entry, one file's text lines, the JSON summary and
// the text summary's head.
type migrateOutput[F any] struct {
	jsonVersion int
	fileJSON    func(*migrate.FileResult) F
	printFile   func(out, errw io.Writer, r *migrate.FileResult)
	summaryJSON func(migrate.Summary) map[string]int
	summaryText func(migrate.Summary) string
}

// runMigrate runs migrate.Run over args and prints per file and a summary in format
// ("text" or "json"). It returns the summary, whether a signal interrupted the run
// (the summary then covers what was done), and an error that stopped the run.
func runMigrate[F any](cmd *cobra.Command, args []string, o migrate.Options, format string, p migrateOutput[F]) (migrate.Summary, bool, error) {
	out, errw := cmd.OutOrStdout(), cmd.ErrOrStderr()
	perFile := perFileWriter(cmd, out)
	files := []F{}
	reg, err := registry(cmd)
	if err != nil {
		return migrate.Summary{}, false, err
	}
	chain, err := migrate.ForRegistry(reg)
	if err != nil {
		return migrate.Summary{}, false, err
	}
	sum, err := chain.Run(cmd.Context(), args, o, func(r *migrate.FileResult) {
		if format == "json" {
			files = append(files, p.fileJSON(r))
			return
		}
		p.printFile(perFile, errw, r)
	})
	interrupted := errors.Is(err, context.Canceled) && cmd.Context().Err() != nil
	if err != nil && !interrupted {
		return sum, false, err
	}
	if format == "json" {
		doc := map[string]any{"summary": p.summaryJSON(sum), "files": files}
		if interrupted {
			doc["interrupted"] = true // files holds what was done before the signal
		}
		return sum, interrupted, writeJSONDoc(out, p.jsonVersion, doc)
	}
	line := p.summaryText(sum)
	if sum.Skipped > 0 {
		line += fmt.Sprintf(", %d not checkpoint metadata (skipped)", sum.Skipped)
	}
	if sum.NotFollowed > 0 {
		line += "; " + report.Count(sum.NotFollowed, "symlink loop", "symlink loops") + " not followed"
	}
	_, err = fmt.Fprintln(out, line)
	return sum, interrupted, err
}
