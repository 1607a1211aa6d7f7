package main

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strings"

	"github.com/ckptmeta/ckptmeta/catalog"
	"github.com/ckptmeta/ckptmeta/internal/sidecar"
	"github.com/spf13/cobra"
)

func newStatusCmd() *cobra.Command {
	var (
		o         catalog.StatusOptions
		format    string
		output    string
		failUnder float64
		verbose   bool
		cache     cacheFlags
	)
	cmd := &cobra.Command{
		Use:   "status [PATH...]",
		Short: "Show sidecar coverage: which checkpoints lack a current sidecar",
		Long: `Status classifies every checkpoint and sidecar under PATH (default: outputs/) as current,
outdated (an older schema_version), invalid, stale (the checkpoint changed since the sidecar
was made), missing (no sidecar), orphan (no checkpoint), conflict (two sidecars) or legacy
(only a V0 .metadata.json), with totals, coverage in percent and the same per experiment.

Formats (-o): table, json, prometheus (for node_exporter's textfile collector) and html (one
self-contained page with a coverage chart, readable offline).

` + ruleHelp("decide\nthe sidecars' verdicts (invalid or not) as they decide validate's.") + `

` + cacheHelp + `

` + exitHelp("coverage under --fail-under, or a path does not exist or cannot be read",
			noPathHelp+", unwritable --output"),
		Example: `  ckptmeta status outputs/
  ckptmeta status --fail-under 90 outputs/
  ckptmeta status -o html --output coverage.html outputs/
  ckptmeta status -o prometheus --output /var/lib/node_exporter/ckptmeta.prom outputs/`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !contains(catalog.StatusFormats(), format) {
				return usagef("-o/--format must be one of %s, not %q", strings.Join(catalog.StatusFormats(), ", "), format)
			}
			if failUnder < 0 || failUnder > 100 {
				return usagef("--fail-under takes a percentage from 0 to 100, not %g", failUnder)
			}
			eff, err := commandSettings(cmd, args)
			if err != nil {
				return err
			}
			o.Exclude, o.Jobs, o.Validate.Rules = eff.ExcludePatterns(), eff.Jobs.Value, eff.RuleLevels()
			paths, err := pathsOrDefault(cmd.Name(), args, eff)
			if err != nil {
				return err
			}
			if o.Registry, err = registry(cmd); err != nil {
				return err
			}
			limitHeap(flatHeapLimit)
			o.Validate.Cache = cache.open(cmd)
			defer cache.done(cmd, o.Validate.Cache)
			w := cmd.OutOrStdout()
			var file *reportFile
			if output != "" {
				if file, err = openReportFile(output); err != nil {
					return err
				}
				defer file.Close() // abandons it unless committed below
				w = file
			}
			cov, err := catalog.StatusTo(cmd.Context(), paths, o, w, format, catalog.WriteOptions{Verbose: verbose})
			if err != nil {
				return err
			}
			if file != nil {
				if err := file.commit(); err != nil {
					return err
				}
			}
			if cmd.Flags().Changed("fail-under") && cov.Percent() < failUnder {
				fmt.Fprintf(cmd.ErrOrStderr(), "ckptmeta: coverage %.1f%% is under --fail-under %g%%\n", cov.Percent(), failUnder)
				return errFindings
			}
			for _, p := range cov.Problems {
				if !isWalkWarning(p.Err) {
					return errFindings // a path that could not be read is a per-file problem: exit 1
				}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&format, "format", "o", "table", "output format: "+strings.Join(catalog.StatusFormats(), ", "))
	fl.StringVar(&output, "output", "", "write to `FILE` instead of standard output")
	fl.Float64Var(&failUnder, "fail-under", 0, "exit 1 when coverage is under this percentage")
	fl.BoolVarP(&verbose, "verbose", "v", false, "table: list every checkpoint that is not current")
	// -v is --version on the root (cobra's convention). status's -v is still accepted for old
	// scripts but hidden from help (README, Conventions); cobra drops pflag's deprecation note.
	_ = fl.MarkShorthandDeprecated("verbose", "use --verbose (-v means --version on ckptmeta)")
	fl.BoolVar(&o.NoStale, "no-stale", false, "do not compare checkpoint fingerprints")
	fl.StringArrayVar(&o.Exclude, "exclude", nil, "skip paths matching this glob (repeatable)")
	fl.IntVarP(&o.Jobs, "jobs", "j", 0, "files read at once (default: number of CPUs)")
	addCacheFlags(cmd, &cache)
	addRuleFlags(fl)
	return cmd
}

func newListCmd() *cobra.Command {
	var (
		o      catalog.ListOptions
		format string
		cache  cacheFlags
	)
	cmd := &cobra.Command{
		Use:   "list [PATH...]",
		Short: "List the checkpoint catalog from sidecars, never opening a checkpoint",
		Long: `List prints the catalog of checkpoints under PATH (default: outputs/) from their sidecars
alone: experiment, checkpoint, whether the checkpoint is present, architecture, encoder, epoch,
step, precision, recall, hmean, created, and problem. There is one row per sidecar, present
checkpoint or not, and one per checkpoint without a sidecar. Every schema version ckptmeta
knows is read, and every sidecar is validated (no checkpoint is opened): a row whose sidecar
has errors names their rule ids in problem, and a value with an error is left empty.
--valid-only keeps the rows of present checkpoints whose sidecar has no error (legacy files
aside) and of those without a sidecar. With --fallback, checkpoints without a sidecar are read
(safely) to fill their row; nothing is written.

--filter takes FIELD OP VALUE with OP one of = != < <= > >= (e.g. hmean>0.9,
architecture=dbnet); several filters must all hold. --sort takes fields separated by commas,
a leading - for descending (e.g. -hmean,epoch).

Formats (-o): table, json (a stable, versioned shape a Python app can read instead of
scanning the tree), csv.

` + ruleHelp("decide\nwhich errors a row's problem names, and so --valid-only, as they decide validate's verdicts.") + `

` + cacheHelp + `

` + exitHelp("a path does not exist or cannot be read", noPathHelp),
		Example: `  ckptmeta list outputs/
  ckptmeta list --filter 'hmean>0.9' --sort -hmean outputs/
  ckptmeta list -o json outputs/ > catalog.json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !contains(catalog.ListFormats(), format) {
				return usagef("-o/--format must be one of %s, not %q", strings.Join(catalog.ListFormats(), ", "), format)
			}
			if _, err := catalog.ParseFilters(o.Filters); err != nil {
				return &hintError{&usageError{fmt.Errorf("--filter: %w", err)}, "fields: " + strings.Join(catalog.Fields(), ", ")}
			}
			if _, err := catalog.ParseSort(o.Sort); err != nil {
				return &hintError{&usageError{fmt.Errorf("--sort: %w", err)}, "fields: " + strings.Join(catalog.Fields(), ", ")}
			}
			eff, err := commandSettings(cmd, args)
			if err != nil {
				return err
			}
			o.Exclude, o.Jobs, o.Rules = eff.ExcludePatterns(), eff.Jobs.Value, eff.RuleLevels()
			paths, err := pathsOrDefault(cmd.Name(), args, eff)
			if err != nil {
				return err
			}
			o.Generate.ToolVersion = toolVersion()
			if o.Registry, err = registry(cmd); err != nil {
				return err
			}
			failed := false
			errw := cmd.ErrOrStderr()
			o.OnProblem = func(p catalog.Problem) {
				if isWalkWarning(p.Err) {
					fmt.Fprintf(errw, "ckptmeta: warning: %s: %s\n", oneLine(p.Path), oneLine(p.Err.Error()))
					return
				}
				failed = true
				fmt.Fprintf(errw, "ckptmeta: error: %s: %s\n", oneLine(p.Path), oneLine(p.Err.Error()))
			}
			limitHeap(flatHeapLimit)
			o.Cache = cache.open(cmd)
			defer cache.done(cmd, o.Cache)
			if _, err := catalog.ListTo(cmd.Context(), paths, o, cmd.OutOrStdout(), format); err != nil {
				return err
			}
			if failed {
				return errFindings
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&format, "format", "o", "table", "output format: "+strings.Join(catalog.ListFormats(), ", "))
	fl.StringArrayVar(&o.Filters, "filter", nil, "keep rows where FIELD OP VALUE holds (repeatable, ANDed)")
	fl.StringVar(&o.Sort, "sort", "", "sort by these fields, comma-separated; -field for descending")
	fl.BoolVar(&o.Fallback, "fallback", false, "read checkpoints that have no sidecar")
	fl.BoolVar(&o.ValidOnly, "valid-only", false, "only rows of present checkpoints whose sidecar has no error (and those without a sidecar)")
	fl.StringArrayVar(&o.Exclude, "exclude", nil, "skip paths matching this glob (repeatable)")
	fl.IntVarP(&o.Jobs, "jobs", "j", 0, "files read at once (default: number of CPUs)")
	addCacheFlags(cmd, &cache)
	addRuleFlags(fl)
	return cmd
}

// isWalkWarning tells a link the walk did not follow (a loop: a warning) from a path it could
// not read (exit 1).
func isWalkWarning(err error) bool {
	var loop *sidecar.LoopError
	return errors.As(err, &loop)
}

// Soft heap limits (debug.SetMemoryLimit) of the commands that walk a tree. Main makes the
// collector run rarely (GOGC=400: the garbage of each file dies young), which lets the heap
// grow to five times what is live; over a long walk the peaks add up (validate: 57 MB RSS at
// 100,000 sidecars, 36 MB at 10,000). Under a limit the collector runs as often as it must to
// stay below it, so peak memory no longer depends on the tree; the limit must stay well above
// the live heap or the collector runs all the time. validate, status and list keep about
// 3-10 MB live (the compiled schemas, the files in flight, a record per directory, the
// results cache's index; status's items and list's rows wait in a scratch file, a chunk of a
// few thousand in memory). list kept each row's sort values until it sorted through the
// scratch file too (15 MB live at 100,000 sidecars) and had 38 MiB; with the scratch sort, a
// warm `list --sort` over 100,000 sidecars peaks at 50 MB RSS under 38 MiB, 44 MB under 32.
// watch keeps every status item in memory (it updates them one checkpoint at a time) and
// keeps the 44 MiB it had. GOMEMLIMIT, when set, wins.
const (
	flatHeapLimit  = 32 << 20 // validate, status, list
	watchHeapLimit = 44 << 20
)

func limitHeap(limit int64) {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(limit)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
