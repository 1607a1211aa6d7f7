package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"

	"github.com/ckptmeta/ckptmeta/config"
	"github.com/ckptmeta/ckptmeta/internal/sidecar"
	"github.com/ckptmeta/ckptmeta/watch"
	"github.com/ckptmeta/ckptmeta/watch/serve"
	"github.com/spf13/cobra"
)

func newWatchCmd() *cobra.Command {
	var (
		o         watch.Options
		once      bool
		version   string
		naming    string
		logFormat string
		logLevel  string
		listen    string
	)
	cmd := &cobra.Command{
		Use:   "watch [PATH...]",
		Short: "Keep sidecars current while training runs: generate them as checkpoints appear",
		Long: `Watch scans PATH (default: outputs/) once, as status sees it, generates the missing
sidecars and regenerates the stale ones (the rules of generate --stale), then follows
file-system events: a new or overwritten checkpoint gets its sidecar once it is complete
(quiet for a moment and its zip end record written: a checkpoint still being written is never
read half-way), new run and checkpoints/ directories are watched as they appear, and an edited
sidecar is re-validated and its findings logged. With --migrate, outdated, legacy and broken
sidecars are also brought to the latest version (the rules of migrate; a regenerated one's
old bytes are kept as .bak).

Everything it does is logged to standard error, one record per action (--log-format text or
json). SIGINT or SIGTERM finishes the file in hand and exits 0; nothing is lost by stopping or
by a crash, since the next start's scan catches up. --once runs the scan and the fixes, waits
for checkpoints still being written, and exits (for cron).

--listen ADDR (host:port; off by default) serves, while watching, /metrics for Prometheus
(the coverage gauges of status -o prometheus, action counters, the event-lag histogram),
/healthz (503 until the start-up scan has finished, then 200 ok) and / (the status page,
live: coverage per experiment and the latest events, reloaded every 5 s). Bind to
127.0.0.1 unless something scrapes from another host: the page shows file names.

` + ruleHelp("decide the\nverdicts as they decide status's and validate's: the states and coverage it logs, serves\nand exits with, the findings logged for an edited sidecar, and what it fixes. A rule that is\noff is not a reason to regenerate or migrate a sidecar (as in migrate); with sidecar/stale off\na changed checkpoint's sidecar is left as it is.") + `

On Linux each watched directory takes one inotify watch; when fs.inotify.max_user_watches is
reached, watch says so and how to raise it.

Exit codes:
  0    stopped by SIGINT or SIGTERM (a daemon's normal end); --once: every checkpoint has a
       valid, up-to-date sidecar afterwards (current, or outdated without --migrate)
  1    --once: a file failed, a path does not exist or cannot be read, or a sidecar is left
       missing, stale, invalid, legacy or in conflict
  2    usage error, no PATH given and no ./outputs, an error in .ckptmeta.yaml, or watching
       cannot start (the system's watch limit is reached, the --listen address is in use or not
       valid)
  130  --once interrupted (Ctrl-C, SIGTERM): files in hand were finished, the rest not started`,
		Example: `  ckptmeta watch                          # watch outputs/ until stopped
  ckptmeta watch --log-format json runs/   # JSON log records for a log collector
  ckptmeta watch --listen 127.0.0.1:9478   # with /metrics, /healthz and a live page
  ckptmeta watch --once --migrate outputs/ # from cron: fix what is there, then exit`,
		RunE: func(cmd *cobra.Command, args []string) error {
			eff, err := commandSettings(cmd, args) // generate's defaults, exclude, jobs and paths, as generate's
			if err != nil {
				return err
			}
			if v := eff.SchemaVersion.Value; v != config.DefaultSchemaVersion {
				o.Generate.Version = v
			}
			n, err := sidecar.ParseNaming(eff.Naming.Value)
			if err != nil {
				return &usageError{err}
			}
			o.Exclude, o.Jobs, o.Rules = eff.ExcludePatterns(), eff.Jobs.Value, eff.RuleLevels()
			o.Generate.Naming = n
			o.Generate.ToolVersion = toolVersion()
			logger, err := newLogger(cmd.ErrOrStderr(), logFormat, logLevel, quiet(cmd))
			if err != nil {
				return err
			}
			o.Logger = logger
			if listen != "" && once {
				return usagef("--listen serves a running watch; --once exits after the scan")
			}
			if args, err = pathsOrDefault("watch", args, eff); err != nil {
				return err
			}
			// Every check of the watcher uses what validate checks with (extensions too).
			if o.Registry, err = registry(cmd); err != nil {
				return err
			}
			limitHeap(watchHeapLimit)
			if !once {
				if listen != "" {
					// Opened before the scan starts, so a port in use is reported at once.
					ln, err := serve.Listen(listen)
					if err != nil {
						return err
					}
					srv := serve.New(serve.Options{Title: "ckptmeta watch " + strings.Join(args, " ")})
					o.Observer = srv
					ctx, stopServing := context.WithCancel(cmd.Context())
					served := make(chan error, 1)
					go func() { served <- srv.Serve(ctx, ln) }()
					logger.Info("serving", "addr", ln.Addr().String())
					defer func() {
						stopServing() // the server stops with the watcher
						if err := <-served; err != nil {
							logger.Error("serving stopped", "err", err)
						}
					}()
				}
				err := watch.Run(cmd.Context(), args, o)
				var le *watch.LimitError
				if errors.As(err, &le) {
					return &hintError{err, le.Hint()}
				}
				return err // nil when stopped by a signal: a daemon's normal end
			}
			sum, err := watch.Once(cmd.Context(), args, o)
			if err != nil {
				if errors.Is(err, context.Canceled) && cmd.Context().Err() != nil {
					return errInterrupted
				}
				return err
			}
			t := sum.Coverage.Total
			logger.Info("summary", "checkpoints", t.Checkpoints, "generated", sum.Generated, "regenerated", sum.Regenerated,
				"migrated", sum.Migrated, "failed", sum.Failed, "covered", t.Covered(), "current", t.Current,
				"unreadable_paths", len(sum.Coverage.Problems))
			if !sum.Complete(o.Migrate) {
				return errFindings
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&once, "once", false, "scan, fix what needs it, wait for checkpoints being written, and exit")
	fl.StringVar(&listen, "listen", "", "serve /metrics, /healthz and a live coverage page on `ADDR` (host:port); off by default")
	fl.BoolVar(&o.Migrate, "migrate", false, "also migrate outdated, legacy and broken sidecars to the latest version (the rules of migrate)")
	fl.StringVar(&logFormat, "log-format", "text", "log records on stderr: text or json")
	fl.StringVar(&logLevel, "log-level", "info", "least important records logged: debug, info, warn or error (-q means warn)")
	fl.StringVar(&version, "schema-version", "latest", "schema_version of new sidecars: 1.0, 1.1, 2.0 or latest")
	fl.StringVar(&naming, "naming", "ckpt", "sidecar name: ckpt (X.ckpt.metadata.yaml) or stem (X.metadata.yaml)")
	fl.StringVar(&o.Generate.Root, "root", "", "outputs root that paths in the sidecar are relative to (default: nearest ancestor named outputs)")
	fl.IntVarP(&o.Jobs, "jobs", "j", 0, "files read at once (default: number of CPUs)")
	fl.StringArrayVar(&o.Exclude, "exclude", nil, "skip paths matching this glob (repeatable)")
	fl.DurationVar(&o.Quiet, "debounce", watch.DefaultQuiet, "how long a checkpoint must go without changes before it is read")
	fl.BoolVar(&o.Generate.AllowUnsafe, "allow-unsafe-pickle", false, "generate even when the pickle references dangerous globals (nothing is executed either way)")
	addRuleFlags(fl)
	return cmd
}

// newLogger builds the structured logger of a long-running command on w (stderr).
func newLogger(w io.Writer, format, level string, quiet bool) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usagef("--log-level: want debug, info, warn or error, got %q", level)
	}
	if quiet && lv < slog.LevelWarn {
		lv = slog.LevelWarn
	}
	ho := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, ho)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, ho)), nil
	}
	return nil, usagef("--log-format: want text or json, got %q", format)
}
