package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ckptmeta/ckptmeta/catalog"
	"github.com/ckptmeta/ckptmeta/internal/testenv"
	"github.com/ckptmeta/ckptmeta/watch"
)

// prometheusServer is a real Prometheus (Debian's prometheus package) on a loopback port,
// with its own config and storage in a temp dir, scraping one target every second.
type prometheusServer struct {
	url string
	log *bytes.Buffer
}

// startPrometheus starts Prometheus scraping target (host:port) and waits until it is ready.
// Prometheus cannot listen on port 0, so a free port is picked and, should another process
// take it first, picked again.
func startPrometheus(t *testing.T, target string) *prometheusServer {
	t.Helper()
	exe := testenv.Command(t, "prometheus", "prometheus")
	dir := t.TempDir()
	config := filepath.Join(dir, "prometheus.yml")
	err := os.WriteFile(config, []byte(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: ckptmeta
    static_configs:
      - targets: ['`+target+`']
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	for attempt := 1; ; attempt++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		var log bytes.Buffer
		cmd := exec.Command(exe, "--config.file="+config, "--storage.tsdb.path="+filepath.Join(dir, fmt.Sprint("data", attempt)),
			"--web.listen-address="+addr, "--log.level=warn")
		cmd.Stdout, cmd.Stderr = &log, &log
		if err := cmd.Start(); err != nil {
			t.Fatalf("starting %s: %v", exe, err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		t.Cleanup(func() {
			cmd.Process.Signal(os.Interrupt)
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				<-exited
			}
		})
		p := &prometheusServer{url: "http://" + addr, log: &log}
		deadline := time.Now().Add(60 * time.Second)
		for {
			select {
			case err := <-exited:
				exited <- err // for the cleanup
				if attempt < 3 && strings.Contains(log.String(), "address already in use") {
					goto next
				}
				t.Fatalf("prometheus exited: %v\n%s", err, log.String())
			default:
			}
			if resp, err := http.Get(p.url + "/-/ready"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					return p
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("prometheus not ready after 60 s\n%s", log.String())
			}
			time.Sleep(100 * time.Millisecond)
		}
	next:
	}
}

type promSeries struct {
	Labels map[string]string
	Value  float64
}

// query runs an instant query through Prometheus's HTTP API.
func (p *prometheusServer) query(t *testing.T, q string) []promSeries {
	t.Helper()
	resp, err := http.Get(p.url + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("query %s: %v", q, err)
	}
	if r.Status != "success" {
		t.Fatalf("query %s: %s %s", q, r.Status, r.Error)
	}
	var out []promSeries
	for _, s := range r.Data.Result {
		v, err := strconv.ParseFloat(fmt.Sprint(s.Value[1]), 64)
		if err != nil {
			t.Fatalf("query %s: value %v: %v", q, s.Value[1], err)
		}
		out = append(out, promSeries{s.Metric, v})
	}
	return out
}

// waitFor polls Prometheus until check(query result) returns "" (then returns) or the deadline
// passes (then fails with the last mismatch).
func (p *prometheusServer) waitFor(t *testing.T, what, q string, check func([]promSeries) string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		got := p.query(t, q)
		msg := check(got)
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: after 60 s Prometheus still has %s: %s\nprometheus log:\n%s", what, q, msg, p.log.String())
		}
		time.Sleep(250 * time.Millisecond)
	}
}

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

func compareCheckpoints(want map[string]float64) func([]promSeries) string {
	return func(got []promSeries) string {
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

func oneValue(want float64) func([]promSeries) string {
	return func(got []promSeries) string {
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
	prom := startPrometheus(t, ts.Listener.Addr().String())

	c1 := status(t, root)
	s.Coverage(c1)
	s.Handled(watch.Event{Time: time.Now(), Path: "a/checkpoints/x.ckpt", Action: watch.ActionGenerated, Lag: 80 * time.Millisecond})
	s.Handled(watch.Event{Time: time.Now(), Path: "a/checkpoints/y.ckpt", Action: watch.ActionGenerated, Lag: 300 * time.Millisecond})

	prom.waitFor(t, "scrape", `up{job="ckptmeta"}`, oneValue(1))
	prom.waitFor(t, "coverage after the scan", "ckptmeta_checkpoints", compareCheckpoints(wantCheckpoints(c1)))
	prom.waitFor(t, "overall coverage", "ckptmeta_overall_coverage_ratio", oneValue(c1.Total.Percent()/100))
	prom.waitFor(t, "generated", `ckptmeta_watch_actions_total{action="generated"}`, oneValue(2))
	prom.waitFor(t, "failed from 0", `ckptmeta_watch_actions_total{action="failed"}`, oneValue(0))
	prom.waitFor(t, "lag", `ckptmeta_watch_event_lag_seconds_bucket{le="0.1"}`, oneValue(1))
	prom.waitFor(t, "lag count", `ckptmeta_watch_event_lag_seconds_count`, oneValue(2))
	prom.waitFor(t, "Go collector", `go_goroutines{job="ckptmeta"} > 0`, func(got []promSeries) string {
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
	prom.waitFor(t, "coverage after the change", "ckptmeta_checkpoints", compareCheckpoints(wantCheckpoints(c2)))
	prom.waitFor(t, "coverage ratio after the change", `ckptmeta_coverage_ratio{experiment="`+exp+`"}`, oneValue(0))
	prom.waitFor(t, "failed", `ckptmeta_watch_actions_total{action="failed"}`, oneValue(1))
	prom.waitFor(t, "lag count", `ckptmeta_watch_event_lag_seconds_count`, oneValue(3))
}
