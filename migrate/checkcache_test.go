package migrate

import (
	"testing"

	"github.com/ckptmeta/ckptmeta/internal/resultcache"
)

// TestCheckCacheOptionsCovered: every Options field keys migrate --check's cache table unless
// notVerdict says why it cannot change a cached outcome.
func TestCheckCacheOptionsCovered(t *testing.T) {
	for _, f := range resultcache.Uncovered(Options{}, notVerdict) {
		t.Errorf("Options.%s", f)
	}
}
