package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"

	"github.com/ckptmeta/ckptmeta/validate"
	"github.com/ckptmeta/ckptmeta/validate/report"
	"github.com/spf13/cobra"
)

func newValidateCmd() *cobra.Command {
	var (
		format  string
		output  string
		strict  bool
		exclude []string
		jobs    int
		noStale bool
		stdinAs string
		cache   cacheFlags
	)
	cmd := &cobra.Command{
		Use:   "validate [PATH...]",
		Short: "Check sidecars against the schema of their schema_version",
		Long: `Validate checks metadata sidecars: YAML that PyYAML and the Python consumers read the same
way, the JSON Schema of the file's schema_version, and the checks across files (two sidecars
for one checkpoint, a sidecar without its checkpoint, paths that leave the outputs root, a
checkpoint that changed since its sidecar was made).

PATH may be a sidecar or a directory, searched recursively for *.metadata.yaml, *.metadata.yml
and the legacy *.metadata.json (default: ./outputs). PATH - reads one sidecar from standard
input, alone (not mixed with other paths); --stdin-filename names it, for the naming checks,
the checks against the files beside that path, and the report (without it: path -, YAML,
no neighbour checks). Every finding is one line,
path:line:col: error|warning: message [rule], sorted by path and position.

Formats (-o): text, json, github (workflow annotations and $GITHUB_STEP_SUMMARY), sarif
(2.1.0), junit. With --output FILE the report goes to FILE and the terminal still gets text.

` + ruleHelp("decide\nwhich findings are reported and how severe they are; the verdicts, --strict and the exit\ncode follow them.") + `

` + cacheHelp + `

` + exitHelp("findings: an invalid, unreadable or missing sidecar or path; any warning under --strict",
			noPathHelp+", unwritable --output"),
		Example: `  ckptmeta validate outputs/
  ckptmeta validate -o github outputs/
  ckptmeta validate -o sarif --output ckptmeta.sarif outputs/
  cat draft.yaml | ckptmeta validate --stdin-filename outputs/run/last.ckpt.metadata.yaml -`,
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := report.ParseFormat(format)
			if err != nil {
				return &usageError{fmt.Errorf("-o/--format: %w", err)}
			}
			stdin := slices.Contains(args, validate.StdinName)
			if stdin && len(args) > 1 {
				return usagef("- (standard input) cannot be mixed with other paths")
			}
			if cmd.Flags().Changed("stdin-filename") && !stdin {
				return usagef("--stdin-filename names standard input: give - as the PATH")
			}
			eff, err := commandSettings(cmd, args)
			if err != nil {
				return err
			}
			strict, jobs, exclude = eff.Strict.Value, eff.Jobs.Value, eff.ExcludePatterns()
			if args, err = pathsOrDefault("validate", args, eff); err != nil {
				return err
			}
			stdout := cmd.OutOrStdout()
			ropts := report.Options{Tool: "ckptmeta", Version: toolVersion(), Strict: strict}
			var reporters []report.Reporter
			var closers []io.Closer
			defer func() {
				for _, c := range closers {
					c.Close() // the normal path has already committed the output file and checked that
				}
			}()
			var outFile *reportFile
			if output != "" {
				file, err := openReportFile(output)
				if err != nil {
					return err
				}
				outFile = file
				closers = append(closers, file) // abandons it on an early return; committed below otherwise
				r, err := report.New(file, f, ropts)
				if err != nil {
					return err
				}
				reporters = append(reporters, r)
				f = report.Text // the terminal still gets text
			}
			termOpts := ropts
			termOpts.Color = f == report.Text && useColor(cmd, stdout)
			termOpts.Quiet = quiet(cmd)
			if f == report.GitHub {
				if p := os.Getenv("GITHUB_STEP_SUMMARY"); p != "" {
					sum, err := os.OpenFile(p, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
					if err != nil {
						return fmt.Errorf("GITHUB_STEP_SUMMARY: %w", err)
					}
					closers = append(closers, sum)
					termOpts.StepSummary = sum
				}
			}
			term, err := report.New(stdout, f, termOpts)
			if err != nil {
				return err
			}
			reporters = append([]report.Reporter{term}, reporters...)

			reg, err := registry(cmd)
			if err != nil {
				return err
			}
			limitHeap(flatHeapLimit)
			if os.Getenv("GOGC") == "" {
				// Under the heap limit the collector runs when the heap reaches eight times
				// what is live rather than five (Main's 400): validate's live heap is a few
				// MB and the limit still bounds the peak, so fewer cycles cost no memory that
				// matters; 6% less CPU over 10,000 sidecars (in-process, 11 runs each).
				debug.SetGCPercent(800)
			}
			vopts := validate.Options{Strict: strict, Jobs: jobs, Exclude: exclude, NoStale: noStale, Rules: eff.RuleLevels()}
			if !stdin {
				vopts.Cache = cache.open(cmd)
				defer cache.done(cmd, vopts.Cache)
			}
			v := validate.New(reg, vopts)
			var sum validate.Summary
			failed := false
			var reportErr error
			each := func(r *validate.Result) {
				sum.Add(r)
				failed = failed || r.Failed(strict)
				for _, rep := range reporters {
					if err := rep.Report(r); err != nil && reportErr == nil {
						reportErr = err
					}
				}
			}
			var runErr error
			if stdin {
				each(v.ValidateReader(stdinAs, cmd.InOrStdin()))
			} else {
				runErr = v.Run(cmd.Context(), args, each)
			}
			for _, rep := range reporters {
				if err := rep.Close(sum); err != nil && reportErr == nil {
					reportErr = err
				}
			}
			if outFile != nil && runErr == nil && reportErr == nil {
				// An interrupted run's partial report never replaces the last whole one.
				reportErr = outFile.commit()
			}
			if err := errors.Join(runErr, reportErr); err != nil {
				return err
			}
			if failed {
				return errFindings
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&format, "format", "o", "text", "report format: text, json, github, sarif, junit")
	fl.StringVar(&output, "output", "", "write the report to `FILE` (the terminal still gets text)")
	fl.BoolVar(&strict, "strict", false, "unknown keys are errors and warnings fail the run")
	fl.StringArrayVar(&exclude, "exclude", nil, "skip paths matching this glob (repeatable)")
	fl.IntVarP(&jobs, "jobs", "j", 0, "files checked at once (default: number of CPUs)")
	fl.BoolVar(&noStale, "no-stale", false, "do not compare checkpoint fingerprints")
	fl.StringVar(&stdinAs, "stdin-filename", "", "with PATH -: check standard input as if it were the file `PATH`")
	addCacheFlags(cmd, &cache)
	addRuleFlags(fl)
	return cmd
}
