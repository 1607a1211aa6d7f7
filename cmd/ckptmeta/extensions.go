package main

import (
	"fmt"

	"github.com/ckptmeta/ckptmeta/internal/fsutil"
	"github.com/ckptmeta/ckptmeta/schemas"
	"github.com/spf13/cobra"
)

// extensionFlag is the root's hidden, repeatable --extension FILE: a schema extension
// file (issue 11 §4) given on the command line, added after those of the configuration.
const extensionFlag = "extension"

// maxExtensionSize bounds an extension file: a schema is a few kilobytes.
const maxExtensionSize = 1 << 20

// registry is the schema registry every command checks with: the built-in schemas,
// extended by the configuration's extensions, then by the files named with --extension. An
// extension that cannot be read or used is an error naming the file (exit 2: the tool cannot
// run as configured).
func registry(cmd *cobra.Command) (*schemas.Registry, error) {
	var files []string
	cfg, err := loadConfigFile(cmd) // the configuration's extensions: absolute, known to exist
	if err != nil {
		return nil, err
	}
	if cfg != nil && cfg.Extensions != nil {
		files = append(files, cfg.Extensions.Value...)
	}
	if f := cmd.Flags().Lookup(extensionFlag); f != nil {
		given, _ := cmd.Flags().GetStringArray(extensionFlag)
		files = append(files, given...)
	}
	return loadRegistry(files)
}

// loadRegistry reads the extension files and combines them with the built-in schemas.
func loadRegistry(files []string) (*schemas.Registry, error) {
	if len(files) == 0 {
		return schemas.Default(), nil
	}
	exts := make([]*schemas.Extension, 0, len(files))
	for _, name := range files {
		src, err := fsutil.ReadFile(name, maxExtensionSize)
		if err != nil {
			return nil, &schemas.ExtensionError{Path: name, Err: err}
		}
		if len(src) > maxExtensionSize {
			return nil, &schemas.ExtensionError{Path: name, Err: fmt.Errorf("larger than %d bytes", maxExtensionSize)}
		}
		e, err := schemas.ParseExtension(name, src)
		if err != nil {
			return nil, err
		}
		exts = append(exts, e)
	}
	return schemas.Default().WithExtensions(exts...)
}
