// Command ckptmeta validates, migrates and generates the metadata sidecars of PyTorch
// Lightning checkpoints. Run `ckptmeta --help` for the commands.
package main

import "os"

func main() { os.Exit(Main()) }
