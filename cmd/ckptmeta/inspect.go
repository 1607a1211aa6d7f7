package main

import (
	"encoding/json"
	"fmt"

	"github.com/ckptmeta/ckptmeta/internal/ckpt"
	"github.com/spf13/cobra"
)

func newInspectCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "inspect CKPT...",
		Short: "Summarise a checkpoint safely, without running its pickle",
		Long: `Inspect reads a checkpoint's pickle only (never its tensor data, never any code) and
prints what a sidecar would be built from: format, Lightning version, epoch, step, callbacks
with their monitor and best score, metrics, hyper-parameter keys, tensor count and bytes, and
any dangerous globals (such as os.system) the pickle references. Those are reported, never called.

` + exitCodesHelp,
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
				r, err := ckpt.Open(p)
				if err != nil {
					fmt.Fprintf(errw, "ckptmeta: error: %s\n", oneLine(err.Error()))
					failed = true
					continue
				}
				s := ckpt.Summarize(r)
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
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if summaries == nil {
					summaries = []ckpt.Summary{}
				}
				if err := enc.Encode(summaries); err != nil {
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
