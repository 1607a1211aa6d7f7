package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/ckptmeta/ckptmeta/config"
	"github.com/ckptmeta/ckptmeta/generate"
	"github.com/ckptmeta/ckptmeta/internal/safetext"
	"github.com/spf13/cobra"
)

// version is set at link time (-ldflags "-X main.version=v0.1.0"); otherwise it comes from
// the module's build information.
var version = ""

func toolVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// Exit codes, the same for every command (README and DESIGN.md have the table;
// exitcode_test.go asserts it for every command).
const (
	exitOK          = 0   // nothing to report
	exitFindings    = 1   // findings, per-file failures, --check would change files, coverage under --fail-under
	exitUsage       = 2   // usage error, or the tool could not run
	exitInterrupted = 130 // stopped by SIGINT or SIGTERM (128 + SIGINT, the shell's code for Ctrl-C)
)

const exitCodesHelp = `Exit codes:
  0    clean: nothing to report (warnings allowed unless --strict)
  1    findings: invalid sidecars, failed checkpoints, a path that does not exist or
       cannot be read, --check would change files, coverage under --fail-under
  2    usage error, or the tool could not run (no PATH and no ./outputs, an error in
       .ckptmeta.yaml, unwritable --output)
  130  interrupted (Ctrl-C, SIGTERM): files in hand were finished, the rest not started`

// exitHelp is a command's own exit-code table: what makes it exit 1, and what makes it
// exit 2 besides a usage error. Every command shares 0, the usage error and 130.
func exitHelp(findings, couldNotRun string) string {
	s := "Exit codes:\n  0    clean: nothing to report\n"
	if findings != "" {
		s += "  1    " + findings + "\n"
	}
	s += "  2    usage error"
	if couldNotRun != "" {
		s += ", " + couldNotRun
	}
	return s + "\n  130  interrupted (Ctrl-C, SIGTERM): files in hand were finished, the rest not started"
}

// noPathHelp is the exit-2 situation of the commands that default to ./outputs (or the
// configuration's paths) and read the configuration file.
const noPathHelp = "no PATH given and no ./outputs, an error in .ckptmeta.yaml"

// pathsOrDefault returns the paths given, else the configuration file's paths (relative to
// the working directory), else outputs/ when it exists. Every command that walks a tree
// takes the same default and fails the same way without it.
func pathsOrDefault(command string, args []string, eff *config.Effective) ([]string, error) {
	if len(args) > 0 {
		return args, nil
	}
	if p := eff.PathsFrom(workDir()); p != nil {
		return p, nil
	}
	if info, err := os.Stat(generate.DefaultPath); err == nil && info.IsDir() {
		return []string{generate.DefaultPath}, nil
	}
	return nil, &hintError{fmt.Errorf("no PATH given and there is no ./%s directory here", generate.DefaultPath),
		fmt.Sprintf("name what to look at: ckptmeta %s path/to/outputs", command)}
}

// errInterrupted ends a run stopped by a signal, after its partial summary: exit 130.
var errInterrupted = errors.New("interrupted")

// errFindings ends a run whose report is already printed with exit code 1.
var errFindings = errors.New("findings")

// usageError is a mistake in how the command was called: exit 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return &usageError{fmt.Errorf(format, a...)} }

// hintError carries advice printed after the error.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }

// Main runs the command line and returns the exit code. It is the only place that prints
// errors: `ckptmeta: error: …`, then `ckptmeta: hint: …` when there is advice.
func Main() int {
	if os.Getenv("GOGC") == "" {
		// Every file's garbage dies young and the live heap is a few MB (the compiled
		// schemas), so collecting less often costs little memory and saves a fifth of the CPU.
		debug.SetGCPercent(400)
	}
	return run(os.Args[1:], os.Stdout, os.Stderr)
}

func run(args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		// A panic is a bug; the user gets one line and exit 2, not a stack trace.
		if p := recover(); p != nil {
			fmt.Fprintf(stderr, "ckptmeta: error: internal error: %s\n", oneLine(fmt.Sprint(p)))
			fmt.Fprintln(stderr, "ckptmeta: hint: this is a bug in ckptmeta; please report it with the command you ran")
			code = exitUsage
		}
	}()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // the first signal stops the run gently; a second one kills it at once
	}()
	root := newRootFor(stdout, stderr, args)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errInterrupted) || ctx.Err() != nil && errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "ckptmeta: interrupted: files in hand were finished; the rest were not started")
		return exitInterrupted
	case errors.Is(err, errFindings):
		return exitFindings
	}
	fmt.Fprintf(stderr, "ckptmeta: error: %s\n", oneLine(err.Error()))
	var he *hintError
	if errors.As(err, &he) {
		fmt.Fprintf(stderr, "ckptmeta: hint: %s\n", oneLine(he.hint))
	}
	var ue *usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		fmt.Fprintln(stderr, "ckptmeta: hint: run `ckptmeta --help` for usage")
	}
	return exitUsage
}

// oneLine renders an error or warning for one line of stderr: the names it quotes come from file names
// and file contents, so control characters are escaped (safetext.Line) and a newline cannot forge a line.
func oneLine(s string) string { return safetext.Line(strings.TrimSpace(s)) }

// showPath renders a path for text output (safetext.Path: escaped, never a workflow command).
func showPath(p string) string { return safetext.Path(p) }

// isCobraUsage recognises cobra's own argument and flag errors, which it returns untyped.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "flag needs an argument", "invalid argument", "accepts ", "requires at least", "required flag"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

// subcommands are the root's commands by name, each built by its function.
var subcommands = []struct {
	name  string
	build func() *cobra.Command
}{
	{"validate", newValidateCmd},
	{"schema", newSchemaCmd},
	{"inspect", newInspectCmd},
	{"generate", newGenerateCmd},
	{"migrate", newMigrateCmd},
	{"fix", newFixCmd},
	{"status", newStatusCmd},
	{"list", newListCmd},
	{"watch", newWatchCmd},
	{"config", newConfigCmd},
	{"version", newVersionCmd},
}

// newRoot builds the whole command tree.
func newRoot(stdout, stderr io.Writer) *cobra.Command { return newRootFor(stdout, stderr, nil) }

// newRootFor builds the command tree a run of args needs. When the first argument names a
// command (`ckptmeta validate FILE`, the pre-commit case) only that one is built: the other
// ten commands' flags and help were a fifth of a millisecond of a one-file run. Anything
// else (a flag first, help, completion, a mistyped command that needs suggestions) gets the
// whole tree. TestRootForOneCommandBehavesAlike holds the two trees to the same output.
func newRootFor(stdout, stderr io.Writer, args []string) *cobra.Command {
	only := ""
	if len(args) > 0 {
		for _, c := range subcommands {
			if c.name == args[0] {
				only = c.name
			}
		}
	}
	root := &cobra.Command{
		Use:   "ckptmeta",
		Short: "Keep the metadata sidecars of PyTorch Lightning checkpoints honest",
		Long: `ckptmeta validates, migrates and generates the YAML metadata sidecars that sit beside
PyTorch Lightning checkpoints (X.ckpt.metadata.yaml or X.metadata.yaml), so catalogs never
have to unpickle a checkpoint. It works offline: the schemas are built in.

` + exitCodesHelp,
		Version: toolVersion(),
		// Errors are printed once, by Main.
		SilenceErrors:     true,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{HiddenDefaultCmd: false},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &usageError{err} })
	root.SetVersionTemplate("ckptmeta {{.Version}}\n")
	root.PersistentFlags().BoolP(quietFlag, "q", false, "print only the summary and what fails the run: no per-file lines (exit codes do not change)")
	color := colorAuto
	root.PersistentFlags().Var(&color, colorFlag, "colour the output: auto (a terminal, unless NO_COLOR is non-empty or TERM=dumb), always, never")
	root.PersistentFlags().StringArray(extensionFlag, nil, "experimental: a schema extension file (JSON Schema with x-ckptmeta-versions), combined with the versions it names; repeatable")
	_ = root.PersistentFlags().MarkHidden(extensionFlag) // the documented way is the configuration's extensions key
	root.PersistentFlags().String(configFlag, "", "read the configuration from `FILE` instead of the .ckptmeta.yaml found from here up to the repository root")
	root.PersistentFlags().Bool(noConfigFlag, false, "ignore every configuration file")
	for _, c := range subcommands {
		if only == "" || c.name == only {
			root.AddCommand(c.build())
		}
	}
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of ckptmeta",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "ckptmeta %s\n", toolVersion())
			return err
		},
	}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// colorMode is the root's persistent --color flag: auto (the default), always or never.
// It is a pflag.Value so a wrong value is a usage error (exit 2) when the flags are parsed.
type colorMode string

const (
	colorAuto   colorMode = "auto"
	colorAlways colorMode = "always"
	colorNever  colorMode = "never"
)

func (m *colorMode) String() string { return string(*m) }
func (m *colorMode) Type() string   { return "WHEN" }
func (m *colorMode) Set(s string) error {
	switch v := colorMode(s); v {
	case colorAuto, colorAlways, colorNever:
		*m = v
		return nil
	}
	return fmt.Errorf("want auto, always or never, got %q", s)
}

// colorFlag is the name of the root's persistent flag; commands read it through useColor.
const colorFlag = "color"

// useColor is the one decision whether to colour what cmd writes to w. --color always and
// --color never win (a per-run flag overrides the environment, as no-color.org asks); auto
// colours only a terminal, and never when NO_COLOR is set to a non-empty value or TERM=dumb.
func useColor(cmd *cobra.Command, w io.Writer) bool {
	mode := colorAuto
	if f := cmd.Flags().Lookup(colorFlag); f != nil {
		mode = colorMode(f.Value.String())
	}
	return colorDecision(mode, os.Getenv, isTerminal(w))
}

// colorDecision is useColor without the process: getenv reads the environment and
// terminal says whether the output is a terminal.
func colorDecision(mode colorMode, getenv func(string) string, terminal bool) bool {
	switch mode {
	case colorAlways:
		return true
	case colorNever:
		return false
	}
	if getenv("NO_COLOR") != "" || getenv("TERM") == "dumb" {
		return false
	}
	return terminal
}

func progressAllowed(w io.Writer) bool {
	return os.Getenv("CI") == "" && isTerminal(w)
}

// quietFlag is the root's persistent -q/--quiet: the text output of the commands that print a
// line per file (validate, migrate, fix, generate) keeps only the summary, the errors (stderr,
// and validate's failing findings) and the warnings on stderr. Machine formats (-o json, …) and
// the commands whose output is the answer itself (inspect, status, list, schema) are unchanged.
const quietFlag = "quiet"

func quiet(cmd *cobra.Command) bool {
	q, _ := cmd.Flags().GetBool(quietFlag)
	return q
}

// perFileWriter is where a command writes its per-file lines: out, or nowhere under --quiet.
func perFileWriter(cmd *cobra.Command, out io.Writer) io.Writer {
	if quiet(cmd) {
		return io.Discard
	}
	return out
}
