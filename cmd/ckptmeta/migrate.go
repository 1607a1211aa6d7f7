package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/ckptmeta/ckptmeta/internal/safetext"
	"github.com/ckptmeta/ckptmeta/migrate"
	"github.com/ckptmeta/ckptmeta/schemas"
	"github.com/ckptmeta/ckptmeta/validate/report"
	"github.com/spf13/cobra"
)

// migrateJSONVersion versions the shape of `migrate -o json`; see migrateFileJSON.
//
// 2: the summary's keys are snake_case (files, changed, ...; 1 had Files, Changed, ...).
const migrateJSONVersion = 2

// migrateFileJSON is one file in `migrate -o json`. Field names are stable API.
type migrateFileJSON struct {
	Path        string   `json:"path"`
	Output      string   `json:"output"`
	From        string   `json:"from"`
	To          string   `json:"to"`
	Steps       []string `json:"steps"`
	Changed     bool     `json:"changed"`
	Written     bool     `json:"written"`
	Regenerated bool     `json:"regenerated"`
	Pruned      bool     `json:"pruned"`
	Skipped     bool     `json:"skipped,omitempty"`
	Fixes       []string `json:"fixes,omitempty"`
	Cause       string   `json:"cause,omitempty"`
	Error       string   `json:"error,omitempty"`
	Warnings    []string `json:"warnings"`
	Diff        string   `json:"diff,omitempty"`
	NotFollowed bool     `json:"not_followed,omitempty"` // a symbolic link back to its own ancestor; not a file
}

func newMigrateCmd() *cobra.Command {
	var (
		o      migrate.Options
		format string
		cache  cacheFlags
	)
	cmd := &cobra.Command{
		Use:   "migrate [PATH...]",
		Short: "Upgrade (or downgrade) sidecars along the schema version chain",
		Long: `Migrate moves sidecars to --to (default: the latest schema_version), one version hop at a
time (0 → 1.0 → 1.1 → 2.0, and back where the older version can hold the data). Steps edit
the YAML tree, so comments, key order and quoting survive; after each step the document is
validated against that step's schema, and the file is written once, atomically, only when its
bytes change. A legacy X.metadata.json becomes a YAML sidecar beside it (the JSON stays unless
--prune-legacy). A sidecar that cannot be parsed or migrated is rebuilt from its checkpoint
(--no-regenerate only reports it): the checkpoint's facts win, and every other value of the
old file (exp_name, wandb run id, model parts, monitor, mode, save_top_k, save_last, ...), its
extra keys and their comments are kept. A downgrade that would lose data is refused, naming
the fields, unless --allow-lossy. A file newer than this ckptmeta is never touched.

A replaced file's old bytes are kept as FILE.bak, then FILE.bak.1, FILE.bak.2, … (a backup is
never overwritten): always for a regenerated file, with --backup for every file.
Writes stay inside the paths given: a sidecar that is a symbolic link is written through to
the file it names when that file is inside them (the link stays), and is refused (a failure,
exit 1) when the link leads outside. A file is replaced only if it still holds what was read
(an edit made meanwhile is kept and reported "changed during run"); it keeps its mode and, as
root, its owner; a file with other hard links is reported, not split.

--check writes nothing and exits 1 if any file would change: use it as a CI gate or as the
ckptmeta-migrate-check pre-commit hook. A second run changes nothing.

` + ruleHelp("decide\nwhich findings migrate acts on, with or without --check (so --check reports exactly what\nmigrate would write): a certain fix (quoting a timestamp or schema_version, re-pointing a\nmisplaced checkpoint_path) of a rule that is off is not made, and a file is not regenerated\nwhen every finding that would make it so is off or suppressed in the file. The version steps\ndo not depend on them.") + `

` + cacheHelp + ` (Used by --check only.)

` + exitHelp("a file failed, a path does not exist or cannot be read, or with --check a file would change",
			noPathHelp),
		Example: `  ckptmeta migrate outputs/
  ckptmeta migrate --check outputs/
  ckptmeta migrate --to 1.0 --diff --dry-run outputs/exp/checkpoints/best.ckpt.metadata.yaml`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return usagef("-o/--format must be text or json, not %q", format)
			}
			if o.To != "" && o.To != "latest" {
				s, err := schemas.Default().Lookup(o.To)
				if err != nil || s.Version == schemas.Legacy {
					return usagef("--to: %q is not a version to migrate to (1.0, 1.1, 2.0, latest)", o.To)
				}
				o.To = s.Version
			}
			o.ToolVersion = toolVersion()
			eff, err := commandSettings(cmd, args)
			if err != nil {
				return err
			}
			o.Exclude, o.Jobs, o.Rules = eff.ExcludePatterns(), eff.Jobs.Value, eff.RuleLevels()
			args, err = pathsOrDefault("migrate", args, eff)
			if err != nil {
				return err
			}
			if o.Check {
				o.Cache = cache.open(cmd)
				defer cache.done(cmd, o.Cache)
			}
			sum, interrupted, err := runMigrate(cmd, args, o, format, migrateOutput[migrateFileJSON]{
				jsonVersion: migrateJSONVersion,
				fileJSON:    toJSON,
				printFile:   func(out, errw io.Writer, r *migrate.FileResult) { printMigrated(out, errw, r, o) },
				summaryJSON: func(sum migrate.Summary) map[string]int {
					return map[string]int{"files": sum.Files, "changed": sum.Changed, "written": sum.Written,
						"regenerated": sum.Regenerated, "unchanged": sum.Unchanged, "failed": sum.Failed, "skipped": sum.Skipped,
						"not_followed": sum.NotFollowed}
				},
				summaryText: func(sum migrate.Summary) string {
					n, verb := sum.Written, "written"
					if o.DryRun || o.Check {
						n, verb = sum.Changed, "would be written"
					}
					return fmt.Sprintf("%s: %d changed (%d %s, %d regenerated), %d unchanged, %d failed",
						report.Count(sum.Files, "file", "files"), sum.Changed, n, verb, sum.Regenerated, sum.Unchanged, sum.Failed)
				},
			})
			if err != nil {
				return err
			}
			if interrupted {
				return errInterrupted
			}
			if sum.Failed > 0 || (o.Check && sum.Changed > 0) {
				return errFindings
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.To, "to", "latest", "target schema_version: 1.0, 1.1, 2.0 or latest")
	fl.BoolVar(&o.Check, "check", false, "write nothing; exit 1 if any file would change")
	fl.BoolVar(&o.DryRun, "dry-run", false, "report what would change; write nothing")
	fl.BoolVar(&o.Diff, "diff", false, "print a unified diff of each change")
	fl.BoolVar(&o.Backup, "backup", false, "keep the replaced bytes as FILE.bak (then FILE.bak.1, …; never overwritten)")
	fl.BoolVar(&o.AllowLossy, "allow-lossy", false, "let a downgrade drop what the older version cannot hold")
	fl.BoolVar(&o.NoRegenerate, "no-regenerate", false, "report broken sidecars instead of rebuilding them from their checkpoint")
	fl.BoolVar(&o.PruneLegacy, "prune-legacy", false, "remove X.metadata.json once its YAML sidecar is written")
	fl.StringVar(&o.Root, "root", "", "outputs root for regenerated sidecars' paths (default: nearest ancestor named outputs)")
	fl.StringVarP(&format, "format", "o", "text", "output format: text or json")
	fl.IntVarP(&o.Jobs, "jobs", "j", 0, "files in flight at most (default: 4 × number of CPUs); files are also admitted by estimated memory, 256 MiB in all")
	fl.StringArrayVar(&o.Exclude, "exclude", nil, "skip paths matching this glob (repeatable)")
	addCacheFlags(cmd, &cache)
	addRuleFlags(fl)
	return cmd
}

func toJSON(r *migrate.FileResult) migrateFileJSON {
	j := migrateFileJSON{Path: r.Path, Output: r.Output, From: r.From, To: r.To, Steps: r.Steps, Changed: r.Changed,
		Written: r.Written, Regenerated: r.Regenerated, Pruned: r.Pruned, Skipped: r.Skipped, Fixes: r.Fixes, Warnings: r.Warnings, Diff: r.Diff,
		NotFollowed: r.NotFollowed}
	if j.Steps == nil {
		j.Steps = []string{}
	}
	if j.Warnings == nil {
		j.Warnings = []string{}
	}
	if r.Cause != nil {
		j.Cause = r.Cause.Error()
	}
	if r.Err != nil {
		j.Error = r.Err.Error()
	}
	return j
}

// printMigrated writes one line per file: what it was, what it became, and what happened.
func printMigrated(out, errw io.Writer, r *migrate.FileResult, o migrate.Options) {
	if r.Err != nil {
		fmt.Fprintf(errw, "ckptmeta: error: %s: %s\n", oneLine(r.Path), oneLine(r.Err.Error()))
		return
	}
	if r.NotFollowed {
		for _, w := range r.Warnings {
			fmt.Fprintf(errw, "ckptmeta: warning: %s: %s\n", oneLine(r.Path), oneLine(w))
		}
		return
	}
	var b strings.Builder
	b.WriteString(showPath(r.Path))
	b.WriteString(": ")
	switch {
	case r.Skipped:
		b.WriteString("not checkpoint metadata, skipped")
	case r.Regenerated:
		fmt.Fprintf(&b, "regenerated at %s from its checkpoint", oneLine(r.To))
		if r.Cause != nil {
			fmt.Fprintf(&b, " (%s)", oneLine(r.Cause.Error()))
		}
	case !r.Changed:
		fmt.Fprintf(&b, "%s, unchanged", oneLine(r.To))
	case len(r.Steps) == 0 && len(r.Fixes) > 0:
		fmt.Fprintf(&b, "%s, %s", oneLine(r.To), oneLine(strings.Join(r.Fixes, "; ")))
	default:
		fmt.Fprintf(&b, "%s -> %s", oneLine(r.From), oneLine(r.To))
		if len(r.Steps) > 0 {
			fmt.Fprintf(&b, " [%s]", strings.Join(r.Steps, ", "))
		}
		if len(r.Fixes) > 0 {
			fmt.Fprintf(&b, ", %s", oneLine(strings.Join(r.Fixes, "; ")))
		}
	}
	if r.Output != "" && r.Output != r.Path {
		fmt.Fprintf(&b, " -> %s", oneLine(r.Output))
	}
	switch {
	case r.Written:
		b.WriteString(", written")
	case r.Changed && (o.DryRun || o.Check):
		b.WriteString(", would be written")
	}
	if r.Pruned {
		b.WriteString(", legacy JSON removed")
	}
	fmt.Fprintln(out, b.String())
	for _, w := range r.Warnings {
		fmt.Fprintf(errw, "ckptmeta: warning: %s: %s\n", oneLine(r.Path), oneLine(w))
	}
	if r.Diff != "" {
		fmt.Fprint(out, safetext.Lines(r.Diff))
	}
}
