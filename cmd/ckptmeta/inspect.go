package main

import (
	"fmt"

	"github.com/ckptmeta/ckptmeta/internal/ckpt"
	"github.com/spf13/cobra"
)

// inspectJSONVersion versions the shape of `inspect -o json`: {"format_version", "tool",
// "checkpoints": [one ckpt.Summary per checkpoint read, in argument order]}. Before it, the
// output was the bare array, without a version.
const inspectJSONVersion = 1

func newInspectCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "inspect CKPT...",
		Short: "Summarise a checkpoint safely, without running its pickle",
		Long: `Inspect reads a checkpoint's pickle only (never its tensor data, never any code) and
prints what a sidecar would be built from: format, Lightning version, epoch, step, callbacks
with their monitor and best score, metrics, hyper-parameter keys, tensor count and bytes, and
the safety verdict on every global (class or function) the pickle references:

  allowed    data: torch's weights_only allow-list, or a class a Lightning checkpoint holds
             (OmegaConf, numpy, argparse, pathlib, functools.partial of an optimizer, ...)
  unknown    anything else; inert here, but torch.load(weights_only=True) refuses it
  dangerous  would start a process, touch files or the network, evaluate code or load
             another pickle under torch.load (os.system, eval, yaml.unsafe_load, ...)

"weights_only" says what torch.load(weights_only=True) would do: load, load after
torch.serialization.add_safe_globals(...), or refuse. Nothing is ever called or imported.
Exit 1 when a checkpoint cannot be read or references a dangerous global.

` + exitHelp("a checkpoint cannot be read, or references a dangerous global", ""),
		Example: "  ckptmeta inspect outputs/exp/checkpoints/best.ckpt\n  ckptmeta inspect -o json best.ckpt last.ckpt",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return usagef("-o/--format must be text or json, not %q", format)
			}
			out, errw := cmd.OutOrStdout(), cmd.ErrOrStderr()
			var summaries []ckpt.Summary
			failed := false
			for i, p := range args {
				if err := cmd.Context().Err(); err != nil {
					return err // interrupted: the checkpoints left are not started
				}
				r, err := ckpt.Open(p)
				if err != nil {
					fmt.Fprintf(errw, "ckptmeta: error: %s\n", oneLine(err.Error()))
					failed = true
					continue
				}
				s := ckpt.Summarize(r)
				if len(r.Dangerous) > 0 {
					failed = true
				}
				if format == "json" {
					summaries = append(summaries, s)
					continue
				}
				if i > 0 {
					fmt.Fprintln(out)
				}
				if err := s.WriteText(out); err != nil {
					return err
				}
			}
			if format == "json" {
				if summaries == nil {
					summaries = []ckpt.Summary{}
				}
				if err := writeJSONDoc(out, inspectJSONVersion, map[string]any{"checkpoints": summaries}); err != nil {
					return err
				}
			}
			if failed {
				return errFindings
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&format, "format", "o", "text", "output format: text or json")
	return cmd
}
