package generate

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// nameFacts is what a checkpoint file name says.
type nameFacts struct {
	Epoch, Step *int64
	Metric      string // "hmean", "f1", "precision" or "recall"; "" when none
	Value       float64
}

var (
	// Lightning's epoch=10-step=1133, UniqueModelCheckpoint's epoch-18_step-003895, the
	// intermediate epoch_09_step_002730, and the many variants in between (reference §4.3).
	epochRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)(?:^|[^a-z])epoch[=_-](\d{1,9})(?:[^0-9]|$)`) })
	stepRe  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)(?:^|[^a-z])step[=_-](\d{1,12})(?:[^0-9]|$)`) })
	// best-hmean-0.8920, epoch=28_val_f1=0.8534, hmean=0.8920, val_hmean_0.8534.
	metricRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)(?:^|[^a-z])(hmean|f1|precision|recall)[=:_-](\d*\.\d+)`)
	})
)

// parseName reads a checkpoint file name. "best", "best-v1", "last" and "latest" carry no
// epoch: the epoch must come from elsewhere (the old catalog's 999/998 sentinels are not facts).
func parseName(base string) nameFacts {
	stem := strings.TrimSuffix(base, ".ckpt")
	var n nameFacts
	if m := epochRe().FindStringSubmatch(stem); m != nil {
		if v, err := strconv.ParseInt(m[1], 10, 64); err == nil {
			n.Epoch = &v
		}
	}
	if m := stepRe().FindStringSubmatch(stem); m != nil {
		if v, err := strconv.ParseInt(m[1], 10, 64); err == nil {
			n.Step = &v
		}
	}
	if m := metricRe().FindStringSubmatch(stem); m != nil {
		if v, err := strconv.ParseFloat(m[2], 64); err == nil && v >= 0 && v <= 1 {
			n.Metric, n.Value = strings.ToLower(m[1]), v
		}
	}
	return n
}
