package main

import (
	"fmt"
	"os"

	"github.com/ckptmeta/ckptmeta/validate"
	"github.com/spf13/cobra"
)

// cacheDirEnv names the cache directory when --cache-dir does not (CI keeps it between runs).
const cacheDirEnv = "CKPTMETA_CACHE_DIR"

// cacheFlags are --cache-dir and --no-cache, for the commands that judge files without
// changing them (validate, status, list, migrate --check).
type cacheFlags struct {
	dir string
	off bool
}

const cacheHelp = `Results cache: verdicts on files' content are kept in --cache-dir (else $` + cacheDirEnv + `,
else the user cache directory's ckptmeta/), so files that did not change are not read
again; the output is exactly that of --no-cache. A cache that cannot be used never fails
the run: it runs uncached (with one warning when the directory was named).`

func addCacheFlags(cmd *cobra.Command, c *cacheFlags) {
	fl := cmd.Flags()
	fl.StringVar(&c.dir, "cache-dir", "", "keep the results cache in `DIR` (default $"+cacheDirEnv+", else the user cache directory)")
	fl.BoolVar(&c.off, "no-cache", false, "read and check every file; neither use nor write the results cache")
}

// open returns the cache to use, or nil. A directory the user named (flag or environment)
// that cannot be used is worth one warning; the default one (no home directory in a
// container, say) is not: the run is simply uncached.
func (c *cacheFlags) open(cmd *cobra.Command) *validate.Cache {
	if c.off {
		return nil
	}
	dir := c.dir
	if dir == "" {
		dir = os.Getenv(cacheDirEnv)
	}
	cache, err := validate.OpenCache(dir, 0)
	if err != nil {
		if dir != "" {
			warnCache(cmd, err)
		}
		return nil
	}
	return cache
}

// done warns once when the cache could not be written during the run.
func (c *cacheFlags) done(cmd *cobra.Command, cache *validate.Cache) {
	if err := cache.Err(); err != nil {
		warnCache(cmd, err)
	}
}

func warnCache(cmd *cobra.Command, err error) {
	fmt.Fprintf(cmd.ErrOrStderr(), "ckptmeta: warning: %s; the run was not cached\n", oneLine(err.Error()))
}
