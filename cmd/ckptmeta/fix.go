package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/ckptmeta/ckptmeta/internal/safetext"
	"github.com/ckptmeta/ckptmeta/migrate"
	"github.com/ckptmeta/ckptmeta/validate/report"
	"github.com/spf13/cobra"
)

// fixJSONVersion versions the shape of `fix -o json`; see fixFileJSON.
const fixJSONVersion = 1

// fixFileJSON is one file in `fix -o json`. Field names are stable API.
type fixFileJSON struct {
	Path        string   `json:"path"`
	Changed     bool     `json:"changed"`
	Written     bool     `json:"written"`
	RenamedTo   string   `json:"renamed_to,omitempty"`
	Fixes       []string `json:"fixes"`
	Unfixed     []string `json:"unfixed"`
	Error       string   `json:"error,omitempty"`
	Diff        string   `json:"diff,omitempty"`
	Skipped     bool     `json:"skipped,omitempty"`
	NotFollowed bool     `json:"not_followed,omitempty"`
}

func newFixCmd() *cobra.Command {
	var (
		o      migrate.Options
		format string
	)
	cmd := &cobra.Command{
		Use:   "fix [PATH...]",
		Short: "Apply the certain fixes to sidecars, in place (quoting, duplicate keys, misplaced checkpoint_path, .yml names)",
		Long: `Fix applies only fixes that are certain, in place, atomically, as minimal text edits (every
other byte of the file stays as it was):
  - quotes what PyYAML would misread: an unquoted schema_version such as 1.0, an unquoted
    timestamp, a plain key PyYAML reads as a number or a date;
  - writes a yes/no/on/off value as true/false where the schema does not want a string
    (so readers get what they got before), and quotes it where the schema wants a string;
  - removes a repeated key whose value is the same as the first one's (yaml/duplicate-key):
    its lines go; a comment on them the first does not carry stays, as a line of its own.
    A key repeated with another value is left (which one is right is your call);
  - re-points a checkpoint_path (2.0: checkpoint.path) that names another checkpoint than
    the one the sidecar sits beside (sidecar/misplaced);
  - renames X.metadata.yml to X.metadata.yaml and X.ckpt.metadata.yml to
    X.ckpt.metadata.yaml (sidecar/yml-name: readers look for .yaml only), when the
    checkpoint has no other YAML sidecar. A rename never replaces a file.
It never changes schema_version, migrates, or converts a legacy .metadata.json (that is
ckptmeta migrate). Each fixed file is parsed and validated again before it is written: if a
fixed finding would stay or a new error appear, the file is left as it was and the finding
is reported as not fixed. Whatever it could not fix is printed on stderr, one line each:
"ckptmeta: not fixed: FILE: line N: ... [rule]: why".

As pre-commit's fixers do, fix exits 1 when it changed a file (run validate after it), and
when a finding it covers could not be fixed; it is the ckptmeta-fix pre-commit hook.
--dry-run and --diff show a rename as "rename from"/"rename to" lines.

` + ruleHelp("decide\nwhat is fixed: a rule that is off is neither fixed nor reported as not fixed. Other levels\nchange nothing here.") + `

` + exitHelp("a file was changed (or with --dry-run would be), a finding could not be fixed, a file failed, or a path does not exist or cannot be read",
			noPathHelp),
		Example: `  ckptmeta fix outputs/
  ckptmeta fix --dry-run --diff outputs/exp/checkpoints/best.ckpt.metadata.yaml`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return usagef("-o/--format must be text or json, not %q", format)
			}
			eff, err := commandSettings(cmd, args)
			if err != nil {
				return err
			}
			o.Exclude, o.Jobs, o.Rules = eff.ExcludePatterns(), eff.Jobs.Value, eff.RuleLevels()
			args, err = pathsOrDefault("fix", args, eff)
			if err != nil {
				return err
			}
			o.FixOnly = true
			sum, interrupted, err := runMigrate(cmd, args, o, format, migrateOutput[fixFileJSON]{
				jsonVersion: fixJSONVersion,
				fileJSON:    fixToJSON,
				printFile:   func(out, errw io.Writer, r *migrate.FileResult) { printFixed(out, errw, r, o) },
				summaryJSON: func(sum migrate.Summary) map[string]int {
					return map[string]int{"files": sum.Files, "changed": sum.Changed, "written": sum.Written,
						"unchanged": sum.Unchanged, "unfixed": sum.Unfixed, "failed": sum.Failed, "skipped": sum.Skipped,
						"not_followed": sum.NotFollowed}
				},
				summaryText: func(sum migrate.Summary) string {
					n, verb := sum.Written, "fixed"
					if o.DryRun {
						n, verb = sum.Changed, "would be fixed"
					}
					return fmt.Sprintf("%s: %d %s, %d with findings not fixed, %d unchanged, %d failed",
						report.Count(sum.Files, "file", "files"), n, verb, sum.Unfixed, sum.Unchanged, sum.Failed)
				},
			})
			if err != nil {
				return err
			}
			if interrupted {
				return errInterrupted
			}
			if sum.Failed > 0 || sum.Changed > 0 || sum.Unfixed > 0 {
				return errFindings
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&o.DryRun, "dry-run", false, "report what would be fixed; write nothing")
	fl.BoolVar(&o.Diff, "diff", false, "print a unified diff of each change")
	fl.BoolVar(&o.Backup, "backup", false, "keep the replaced bytes as FILE.bak (then FILE.bak.1, …; never overwritten)")
	fl.StringVar(&o.Root, "root", "", "outputs root for re-pointed checkpoint paths (default: nearest ancestor named outputs)")
	fl.StringVarP(&format, "format", "o", "text", "output format: text or json")
	fl.IntVarP(&o.Jobs, "jobs", "j", 0, "files in flight at most (default: 4 × number of CPUs); files are also admitted by estimated memory, 256 MiB in all")
	fl.StringArrayVar(&o.Exclude, "exclude", nil, "skip paths matching this glob (repeatable)")
	addRuleFlags(fl)
	return cmd
}

func fixToJSON(r *migrate.FileResult) fixFileJSON {
	j := fixFileJSON{Path: r.Path, Changed: r.Changed, Written: r.Written, Fixes: r.Fixes, Unfixed: r.Unfixed,
		Diff: r.Diff, Skipped: r.Skipped, NotFollowed: r.NotFollowed}
	if r.Renamed {
		j.RenamedTo = r.Output
	}
	if j.Fixes == nil {
		j.Fixes = []string{}
	}
	if j.Unfixed == nil {
		j.Unfixed = []string{}
	}
	if r.Err != nil {
		j.Error = r.Err.Error()
	}
	for _, w := range r.Warnings {
		if j.Error == "" && r.NotFollowed {
			j.Error = w
		}
	}
	return j
}

// printFixed writes what was fixed in a file (one line per fix) and, on stderr, what was not.
func printFixed(out, errw io.Writer, r *migrate.FileResult, o migrate.Options) {
	switch {
	case r.Err != nil:
		fmt.Fprintf(errw, "ckptmeta: error: %s: %s\n", oneLine(r.Path), oneLine(r.Err.Error()))
		return
	case r.NotFollowed:
		for _, w := range r.Warnings {
			fmt.Fprintf(errw, "ckptmeta: warning: %s: %s\n", oneLine(r.Path), oneLine(w))
		}
		return
	}
	if r.Changed {
		state := "fixed"
		if o.DryRun {
			state = "would be fixed"
		}
		fmt.Fprintf(out, "%s: %s: %s\n", showPath(r.Path), state, oneLine(strings.Join(r.Fixes, "; ")))
	}
	for _, u := range r.Unfixed {
		fmt.Fprintf(errw, "ckptmeta: not fixed: %s: %s\n", oneLine(r.Path), oneLine(u))
	}
	if r.Diff != "" {
		fmt.Fprint(out, safetext.Lines(r.Diff))
	}
}
