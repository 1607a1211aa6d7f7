package serve

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ckptmeta/ckptmeta/catalog"
	"github.com/ckptmeta/ckptmeta/internal/testenv"
	"github.com/ckptmeta/ckptmeta/watch"
)

// exposedName is an experiment's name as the exposition carries it (see catalog.MetricFamilies).
func exposedName(name string) string {
	return strings.NewReplacer("\x01", `\x01`, "\xff", `\xff`).Replace(name)
}

// wantCheckpoints is what the driver fed, as Prometheus should return it:
// experiment + "|" + state → count.
func wantCheckpoints(c *catalog.Coverage) map[string]float64 {
	out := map[string]float64{}
	for _, e := range c.Experiments {
		for _, s := range []catalog.State{catalog.StateCurrent, catalog.StateOutdated, catalog.StateStale, catalog.StateLegacy,
			catalog.StateInvalid, catalog.StateConflict, catalog.StateMissing} {
			out[exposedName(e.Name)+"|"+string(s)] = float64(e.Get(s))
		}
	}
	return out
}

func compareCheckpoints(want map[string]float64) func([]testenv.Series) string {
	return func(got []testenv.Series) string {
		seen := map[string]float64{}
		for _, s := range got {
			if s.Labels["job"] != "ckptmeta" {
				return fmt.Sprintf("a series from job %q", s.Labels["job"])
			}
			seen[s.Labels["experiment"]+"|"+s.Labels["state"]] = s.Value
		}
		if len(seen) != len(want) {
			return fmt.Sprintf("%d series, want %d", len(seen), len(want))
		}
		for k, v := range want {
			if g, ok := seen[k]; !ok || g != v {
				return fmt.Sprintf("%q = %v (present %v), want %v", k, g, ok, v)
			}
		}
		return ""
	}
}

func oneValue(want float64) func([]testenv.Series) string {
	return func(got []testenv.Series) string {
		if len(got) != 1 || got[0].Value != want {
			return fmt.Sprintf("%v, want one series = %v", got, want)
		}
		return ""
	}
}

// TestRealPrometheusScrapesMetrics: a real Prometheus server scrapes /metrics every second;
// the coverage the driver fed (from catalog.Status over a real tree with hostile experiment
// names) comes back exactly through Prometheus's query API, and so does a change of it, the
// action counters and the lag histogram.
func TestRealPrometheusScrapesMetrics(t *testing.T) {
	root := realTree(t)
	s := New(Options{})
	ts := httptest.NewServer(s)
	defer ts.Close()
	prom := testenv.Prometheus(t, ts.Listener.Addr().String())

	c1 := status(t, root)
	s.Coverage(c1)
	s.Handled(watch.Event{Time: time.Now(), Path: "a/checkpoints/x.ckpt", Action: watch.ActionGenerated, Lag: 80 * time.Millisecond})
	s.Handled(watch.Event{Time: time.Now(), Path: "a/checkpoints/y.ckpt", Action: watch.ActionGenerated, Lag: 300 * time.Millisecond})

	prom.WaitFor(t, "scrape", `up{job="ckptmeta"}`, oneValue(1))
	prom.WaitFor(t, "coverage after the scan", "ckptmeta_checkpoints", compareCheckpoints(wantCheckpoints(c1)))
	prom.WaitFor(t, "overall coverage", "ckptmeta_overall_coverage_ratio", oneValue(c1.Total.Percent()/100))
	prom.WaitFor(t, "generated", `ckptmeta_watch_actions_total{action="generated"}`, oneValue(2))
	prom.WaitFor(t, "failed from 0", `ckptmeta_watch_actions_total{action="failed"}`, oneValue(0))
	prom.WaitFor(t, "lag", `ckptmeta_watch_event_lag_seconds_bucket{le="0.1"}`, oneValue(1))
	prom.WaitFor(t, "lag count", `ckptmeta_watch_event_lag_seconds_count`, oneValue(2))
	prom.WaitFor(t, "Go collector", `go_goroutines{job="ckptmeta"} > 0`, func(got []testenv.Series) string {
		if len(got) != 1 {
			return fmt.Sprint(got)
		}
		return ""
	})

	// The watcher sees a sidecar vanish: coverage of parseq_baseline drops from 1 to 0.
	const exp = "parseq_baseline"
	sidecar := filepath.Join(root, "experiments", "train", "ocr", exp, "20260111_104512_42", "checkpoints", "epoch-01_step-000412.ckpt.metadata.yaml")
	if err := os.Remove(sidecar); err != nil {
		t.Fatal(err)
	}
	c2 := status(t, root)
	if wantCheckpoints(c2)[exp+"|missing"] != 1 {
		t.Fatalf("removing %s did not make its checkpoint missing", sidecar)
	}
	s.Coverage(c2)
	s.Handled(watch.Event{Time: time.Now(), Path: sidecar, Action: watch.ActionFailed, Lag: 2 * time.Second, Err: context.DeadlineExceeded})
	prom.WaitFor(t, "coverage after the change", "ckptmeta_checkpoints", compareCheckpoints(wantCheckpoints(c2)))
	prom.WaitFor(t, "coverage ratio after the change", `ckptmeta_coverage_ratio{experiment="`+exp+`"}`, oneValue(0))
	prom.WaitFor(t, "failed", `ckptmeta_watch_actions_total{action="failed"}`, oneValue(1))
	prom.WaitFor(t, "lag count", `ckptmeta_watch_event_lag_seconds_count`, oneValue(3))
}
