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
	dir   string
	off   bool
	stats bool
}

const cacheHelp = `Results cache: verdicts on files' content are kept in --cache-dir (else $` + cacheDirEnv + `,
else the user cache directory's ckptmeta/), so files that did not change are not read
again; the output is exactly that of --no-cache. A cache that cannot be used never fails
the run: it runs uncached (with one warning when the directory was named).`

func addCacheFlags(cmd *cobra.Command, c *cacheFlags) {
	fl := cmd.Flags()
	fl.StringVar(&c.dir, "cache-dir", "", "keep the results cache in `DIR` (default $"+cacheDirEnv+", else the user cache directory)")
	fl.BoolVar(&c.off, "no-cache", false, "read and check every file; neither use nor write the results cache")
	// Hidden: for tests and for looking into the cache; what it prints is not a stable interface.
	fl.BoolVar(&c.stats, "cache-stats", false, "print how the results cache answered, on stderr")
	fl.MarkHidden("cache-stats")
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
// With --cache-stats it prints one line of how the cache answered (stderr; no cache: all zero).
func (c *cacheFlags) done(cmd *cobra.Command, cache *validate.Cache) {
	if err := cache.Err(); err != nil {
		warnCache(cmd, err)
	}
	if c.stats {
		s := cache.Stats()
		fmt.Fprintf(cmd.ErrOrStderr(), "ckptmeta: cache: %d hits, %d confirmed, %d judged, %d carried, %d dropped, %d tables written\n",
			s.Hits, s.Confirmed, s.Stored, s.Carried, s.Dropped, s.Written)
	}
}

func warnCache(cmd *cobra.Command, err error) {
	fmt.Fprintf(cmd.ErrOrStderr(), "ckptmeta: warning: %s; the run was not cached\n", oneLine(err.Error()))
}
