package main

import (
	"fmt"

	"github.com/ckptmeta/ckptmeta/internal/fsutil"
)

// reportFile is --output FILE, the one place a command opens and finishes it. The report
// goes to a temp file beside FILE and is renamed over it only once complete and on disk
// (fsutil.Create), so a reader such as node_exporter's textfile collector never sees half a
// report, and a command that fails or is interrupted leaves the old FILE. Its errors say
// "--output: …" and end the command with exit 2.
type reportFile struct{ p *fsutil.Pending }

func openReportFile(name string) (*reportFile, error) {
	p, err := fsutil.Create(name)
	if err != nil {
		return nil, fmt.Errorf("--output: %w", err)
	}
	return &reportFile{p}, nil
}

func (f *reportFile) Write(b []byte) (int, error) { return f.p.Write(b) }

// commit puts the complete report in place; a full disk shows up here.
func (f *reportFile) commit() error {
	if err := f.p.Commit(); err != nil {
		return fmt.Errorf("--output: %w", err)
	}
	return nil
}

// Close abandons a report that was not committed (the temp file goes, FILE stays as it
// was); after commit it does nothing. Safe to defer.
func (f *reportFile) Close() error { return f.p.Close() }
