package main

import (
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/ckptmeta/ckptmeta/config"
	"github.com/ckptmeta/ckptmeta/schemas"
	"github.com/spf13/cobra"
)

func newSchemaCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schema",
		Short: "List the built-in JSON Schemas or print one",
		Long: `The JSON Schemas (draft 2020-12) of every schema_version are built into ckptmeta.
Print one to a file to get completion and checks in your editor, then point the YAML
language server at it with a modeline on the first line of a sidecar:

  ckptmeta schema show 1.0 > .schemas/checkpoint-metadata-1.0.schema.json
  # yaml-language-server: $schema=../../.schemas/checkpoint-metadata-1.0.schema.json

` + "`ckptmeta schema show config`" + ` prints the schema of the configuration file, .ckptmeta.yaml.

` + exitHelp("", "an unknown VERSION"),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List the schema versions ckptmeta knows, oldest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "VERSION\tTITLE")
			reg, err := registry(cmd)
			if err != nil {
				return err
			}
			for _, s := range reg.All() {
				title := s.Title
				if s == reg.Latest() {
					title += " (latest)"
				}
				fmt.Fprintf(tw, "%s\t%s\n", oneLine(s.Version), oneLine(title))
			}
			return tw.Flush()
		},
	}
	show := &cobra.Command{
		Use:   "show VERSION|config",
		Short: "Print the JSON Schema of VERSION (or latest), or of the configuration file (config)",
		Args:  cobra.ExactArgs(1),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return append(schemas.Default().Versions(), "latest", "config"), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if args[0] == "config" {
				_, err := cmd.OutOrStdout().Write(config.Schema())
				return err
			}
			reg, err := registry(cmd)
			if err != nil {
				return err
			}
			s, err := reg.Lookup(args[0])
			if err != nil {
				var uv *schemas.UnknownVersionError
				if errors.As(err, &uv) {
					return &usageError{err}
				}
				return err
			}
			_, err = cmd.OutOrStdout().Write(s.Source())
			return err
		},
	}
	changelog := &cobra.Command{
		Use:   "changelog",
		Short: "Print what changed in each schema version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := cmd.OutOrStdout().Write(schemas.Changelog())
			return err
		},
	}
	cmd.AddCommand(list, show, changelog)
	return cmd
}
