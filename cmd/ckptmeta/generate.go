package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ckptmeta/ckptmeta/config"
	"github.com/ckptmeta/ckptmeta/generate"
	"github.com/ckptmeta/ckptmeta/internal/safetext"
	"github.com/ckptmeta/ckptmeta/internal/sidecar"
	"github.com/ckptmeta/ckptmeta/validate/report"
	"github.com/spf13/cobra"
)

func newGenerateCmd() *cobra.Command {
	var (
		o       generate.RunOptions
		version string
		naming  string
	)
	cmd := &cobra.Command{
		Use:   "generate [PATH...]",
		Short: "Write sidecars for checkpoints that lack one, from the checkpoint and its Hydra config",
		Long: `Generate finds checkpoints (*.ckpt) under PATH (default: outputs/) that have no sidecar of
either naming, reads each checkpoint's pickle safely (no code runs, no tensor data is read)
and the run's .hydra/config.yaml (searched upward, the nearest wins), builds the sidecar at
--schema-version, validates it, and writes it atomically beside the checkpoint.

Values come, in order, from the checkpoint (epoch, global_step, metrics, ModelCheckpoint
state), its hyper_parameters, the Hydra config (architecture, component_overrides, trainer,
callbacks, logger) and the file name. checkpoint_path and hydra_config_path are written
relative to --root (default: the nearest ancestor directory named outputs).

With --stale, only existing sidecars whose checkpoint changed since they were made (their
recorded fingerprint no longer matches) are rebuilt. A rebuilt sidecar (--stale, --force)
merges: the checkpoint's facts win, and every other value of the old file (exp_name, wandb
run id, model parts, monitor, mode, save_top_k, save_last, ...), its extra keys and their
comments are kept.

Writes stay inside the paths given: a sidecar that is a symbolic link is written through to
the file it names when that file is inside them (the link stays), and is refused (a failure,
exit 1) when the link leads outside. A file is replaced only if it still holds what was read
(an edit made meanwhile is kept and reported "changed during run"); it keeps its mode and, as
root, its owner; a file with other hard links is reported, not split. A rebuilt sidecar
(--force, --stale) is replaced without a backup (migrate keeps one for the files it
regenerates): ask for it by name.

` + exitHelp("a checkpoint failed, or a path does not exist or cannot be read", noPathHelp),
		Example: `  ckptmeta generate                       # every checkpoint under outputs/ without a sidecar
  ckptmeta generate --dry-run outputs/exp  # print what would be written
  ckptmeta generate --schema-version 1.0 --naming stem outputs/
  ckptmeta generate --stale outputs/`,
		RunE: func(cmd *cobra.Command, args []string) error {
			eff, err := commandSettings(cmd, args) // checks --schema-version and --naming, as the file's
			if err != nil {
				return err
			}
			if v := eff.SchemaVersion.Value; v != config.DefaultSchemaVersion {
				o.Version = v
			}
			n, err := sidecar.ParseNaming(eff.Naming.Value)
			if err != nil {
				return &usageError{err}
			}
			o.Exclude, o.Jobs = eff.ExcludePatterns(), eff.Jobs.Value
			if o.Force && o.Stale {
				return usagef("--force and --stale cannot be combined: --force rebuilds every sidecar")
			}
			o.Naming = n
			o.ToolVersion = toolVersion()
			if args, err = pathsOrDefault("generate", args, eff); err != nil {
				return err
			}
			// What is rendered is checked against what validate checks with (extensions too).
			if o.Registry, err = registry(cmd); err != nil {
				return err
			}
			out, errw := perFileWriter(cmd, cmd.OutOrStdout()), cmd.ErrOrStderr()
			prog := newProgress(errw, progressAllowed(errw))
			sum, err := generate.Run(cmd.Context(), args, o, func(r *generate.Result) {
				prog.clear()
				switch r.Status {
				case generate.Written:
					fmt.Fprintf(out, "wrote %s\n", showPath(r.Sidecar))
				case generate.WouldWrite:
					// Strings that are not safe text are double-quoted in the document (generate's
					// renderer), where safetext's escapes mean the same characters: the
					// printed YAML is the document that would be written, and safe to show.
					fmt.Fprintf(out, "# would write %s\n%s", oneLine(r.Sidecar), safetext.Lines(string(r.Data)))
				case generate.Failed:
					fmt.Fprintf(errw, "ckptmeta: error: %s: %s\n", oneLine(r.Checkpoint), oneLine(errText(r)))
				}
				for _, w := range r.Warnings {
					fmt.Fprintf(errw, "ckptmeta: warning: %s: %s\n", oneLine(r.Checkpoint), oneLine(w))
				}
				prog.step(r.Checkpoint)
			})
			prog.clear()
			interrupted := errors.Is(err, context.Canceled) && cmd.Context().Err() != nil
			if err != nil && !interrupted {
				return err
			}
			verb := "written"
			if o.DryRun {
				verb = "would write"
			}
			line := fmt.Sprintf("%s found: %d %s, %d skipped, %d failed", report.Count(sum.Found, "checkpoint", "checkpoints"), sum.Written, verb, sum.Skipped, sum.Failed)
			if sum.Unreadable > 0 {
				line += "; " + report.Count(sum.Unreadable, "path", "paths") + " unreadable"
			}
			if sum.NotFollowed > 0 {
				line += "; " + report.Count(sum.NotFollowed, "symlink loop", "symlink loops") + " not followed"
			}
			fmt.Fprintln(errw, line)
			if interrupted {
				return errInterrupted
			}
			if sum.Failed > 0 || sum.Unreadable > 0 {
				return errFindings
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&version, "schema-version", "latest", "schema_version to write: 1.0, 1.1, 2.0 or latest")
	fl.StringVar(&naming, "naming", "ckpt", "sidecar name: ckpt (X.ckpt.metadata.yaml) or stem (X.metadata.yaml)")
	fl.StringVar(&o.Root, "root", "", "outputs root that paths in the sidecar are relative to (default: nearest ancestor named outputs)")
	fl.BoolVar(&o.DryRun, "dry-run", false, "print what would be written; write nothing")
	fl.BoolVar(&o.Force, "force", false, "rebuild sidecars that already exist")
	fl.BoolVar(&o.Stale, "stale", false, "rebuild only sidecars whose checkpoint changed since they were made")
	fl.IntVarP(&o.Jobs, "jobs", "j", 0, "checkpoints read at once (default: number of CPUs)")
	fl.StringArrayVar(&o.Exclude, "exclude", nil, "skip paths matching this glob (repeatable)")
	fl.BoolVar(&o.AllowUnsafe, "allow-unsafe-pickle", false, "generate even when the pickle references dangerous globals (nothing is executed either way)")
	return cmd
}

func errText(r *generate.Result) string {
	if r.Err != nil {
		return r.Err.Error()
	}
	return r.Reason
}

// progress draws a one-line counter on a terminal's stderr; it stays silent when piped or in CI.
type progress struct {
	w     interface{ Write([]byte) (int, error) }
	on    bool
	n     int
	shown bool
	last  time.Time
}

func newProgress(w interface{ Write([]byte) (int, error) }, on bool) *progress {
	return &progress{w: w, on: on}
}

func (p *progress) step(name string) {
	p.n++
	if !p.on || time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	name = oneLine(name)
	if len(name) > 60 {
		name = "…" + strings.ToValidUTF8(name[len(name)-59:], "")
	}
	fmt.Fprintf(p.w, "\r\x1b[K%d checkpoints: %s", p.n, name)
	p.shown = true
}

func (p *progress) clear() {
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.shown = false
	}
}
