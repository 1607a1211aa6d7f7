package serve

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/ckptmeta/ckptmeta/catalog"
	"github.com/ckptmeta/ckptmeta/internal/testenv"
	"github.com/ckptmeta/ckptmeta/watch"
)

// hostileExperiments are experiment directories whose names the exposition and the page must
// carry safely: the exposition's own escapes, markup, a control character, invalid UTF-8.
var hostileExperiments = []string{`exp "quoted"`, "two\nlines", `back\slash`, "<b onmouseover=alert(1)>x", "ctl\x01", "bad\xff", "実験"}

// realTree copies the repository's testdata/outputs (real checkpoints and sidecars in every
// state) to a temp dir and, where the file system allows such names, adds one experiment per
// hostile name holding a real checkpoint without a sidecar.
func realTree(t testing.TB) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "outputs")
	if err := os.CopyFS(root, os.DirFS(filepath.Join("..", "..", "testdata", "outputs"))); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS == "windows" {
		return root
	}
	ckpt, err := os.ReadFile(filepath.Join(root, "det_resnet50_v1", "checkpoints", "last.ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range hostileExperiments {
		dir := filepath.Join(root, name, "checkpoints")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "last.ckpt"), ckpt, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func status(t testing.TB, root string) *catalog.Coverage {
	t.Helper()
	c, err := catalog.Status(context.Background(), []string{root}, catalog.StatusOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func get(t testing.TB, h http.Handler, path string) (int, string) {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	req.Header.Set("Accept", "text/plain; version=0.0.4")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

func parseExposition(t testing.TB, text string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("exposition does not parse: %v\n%s", err, text)
	}
	return fams
}

// samples renders a family's samples as "label=value,…" → value, for comparison.
func samples(f *dto.MetricFamily) map[string]float64 {
	out := map[string]float64{}
	for _, m := range f.Metric {
		var ls []string
		for _, l := range m.Label {
			ls = append(ls, l.GetName()+"="+fmt.Sprintf("%q", l.GetValue()))
		}
		slices.Sort(ls)
		var v float64
		switch {
		case m.Gauge != nil:
			v = m.Gauge.GetValue()
		case m.Counter != nil:
			v = m.Counter.GetValue()
		case m.Untyped != nil:
			v = m.Untyped.GetValue()
		}
		out[strings.Join(ls, ",")] = v
	}
	return out
}

// TestMetricsAreTheStatusMetrics: for the coverage of a real tree, /metrics carries exactly
// the families, help texts, types, label sets and values of `status -o prometheus`, hostile
// names included, plus the watcher's own families.
func TestMetricsAreTheStatusMetrics(t *testing.T) {
	c := status(t, realTree(t))
	s := New(Options{NoRuntimeMetrics: true})
	s.Coverage(c)
	code, body := get(t, s, "/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d\n%s", code, body)
	}
	served := parseExposition(t, body)
	var text bytes.Buffer
	if err := catalog.WriteStatus(&text, c, "prometheus", catalog.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	want := parseExposition(t, text.String())
	if len(want) < 7 {
		t.Fatalf("status -o prometheus has %d families", len(want))
	}
	for name, wf := range want {
		sf, ok := served[name]
		if !ok {
			t.Errorf("/metrics lacks %s", name)
			continue
		}
		if sf.GetHelp() != wf.GetHelp() || sf.GetType() != wf.GetType() {
			t.Errorf("%s: served help %q type %v, status has %q %v", name, sf.GetHelp(), sf.GetType(), wf.GetHelp(), wf.GetType())
		}
		if got, exp := samples(sf), samples(wf); !mapsEqual(got, exp) {
			t.Errorf("%s: served\n%v\nstatus has\n%v", name, got, exp)
		}
	}
	for name := range served {
		if _, ok := want[name]; !ok && !strings.HasPrefix(name, "ckptmeta_watch_") {
			t.Errorf("/metrics has %s, which neither status nor the watcher defines", name)
		}
	}
	if runtime.GOOS == "windows" {
		return
	}
	// The names arrive as the format carries them: exact for quotes, backslashes and line
	// feeds (and UTF-8), rendered for other controls and invalid UTF-8.
	covered := samples(served["ckptmeta_coverage_ratio"])
	for _, name := range []string{`exp "quoted"`, "two\nlines", `back\slash`, "<b onmouseover=alert(1)>x", `ctl\x01`, `bad\xff`, "実験"} {
		key := "experiment=" + fmt.Sprintf("%q", name)
		if v, ok := covered[key]; !ok || v != 0 {
			t.Errorf("ckptmeta_coverage_ratio{%s} = %v, %v; want 0 (its one checkpoint has no sidecar)", key, v, ok)
		}
	}
}

func mapsEqual(a, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || !(v == w || math.IsNaN(v) && math.IsNaN(w)) {
			return false
		}
	}
	return true
}

// TestMetricsPassPromtool: the whole exposition (runtime collectors included, hostile names
// included) passes Prometheus's own linter.
func TestMetricsPassPromtool(t *testing.T) {
	promtool := testenv.Command(t, "promtool", "prometheus")
	s := New(Options{})
	s.Coverage(status(t, realTree(t)))
	s.Handled(watch.Event{Time: time.Now(), Path: "a/checkpoints/x.ckpt", Action: watch.ActionGenerated, Lag: 120 * time.Millisecond})
	_, body := get(t, s, "/metrics")
	for _, fam := range []string{"go_goroutines", "process_resident_memory_bytes", "ckptmeta_watch_event_lag_seconds_bucket", "ckptmeta_checkpoints{"} {
		if runtime.GOOS == "linux" || !strings.HasPrefix(fam, "process_") {
			if !strings.Contains(body, fam) {
				t.Errorf("/metrics has no %s", fam)
			}
		}
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
}

func TestHealthzWaitsForTheStartUpScan(t *testing.T) {
	s := New(Options{NoRuntimeMetrics: true})
	if code, body := get(t, s, "/healthz"); code != http.StatusServiceUnavailable || !strings.HasPrefix(body, "starting") {
		t.Errorf("before the scan: %d %q, want 503 starting…", code, body)
	}
	if _, body := get(t, s, "/metrics"); !strings.Contains(body, "\nckptmeta_watch_ready 0\n") || strings.Contains(body, "ckptmeta_checkpoints") {
		t.Errorf("before the scan, /metrics should say not ready and have no coverage:\n%s", body)
	}
	if _, body := get(t, s, "/"); !strings.Contains(body, `id="note"`) || !strings.Contains(body, "Start-up scan in progress") {
		t.Errorf("before the scan, the page should say so:\n%s", body)
	}
	s.Coverage(&catalog.Coverage{Latest: "2.0"})
	if code, body := get(t, s, "/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("after the scan: %d %q, want 200 ok", code, body)
	}
	if _, body := get(t, s, "/metrics"); !strings.Contains(body, "\nckptmeta_watch_ready 1\n") {
		t.Errorf("after the scan, /metrics should say ready:\n%s", body)
	}
	if code, _ := get(t, s, "/nothing-here"); code != http.StatusNotFound {
		t.Errorf("/nothing-here: %d, want 404", code)
	}
}

// TestEventsRingAndCounters: every event is counted and its lag observed; the page keeps the
// newest Options.Events, newest first.
func TestEventsRingAndCounters(t *testing.T) {
	s := New(Options{NoRuntimeMetrics: true, Events: 5})
	s.Coverage(&catalog.Coverage{Latest: "2.0"})
	base := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	counts := map[watch.Action]int{}
	var lagSum float64
	const n = 12
	for i := range n {
		a := watch.Actions()[i%len(watch.Actions())]
		e := watch.Event{Time: base.Add(time.Duration(i) * time.Second), Path: fmt.Sprintf("exp/checkpoints/e%02d.ckpt", i),
			Action: a, Lag: time.Duration(i*50) * time.Millisecond, Findings: i % 3}
		if a == watch.ActionFailed {
			e.Err = errors.New("ckpt: truncated zip")
		}
		counts[a]++
		lagSum += e.Lag.Seconds()
		s.Handled(e)
	}
	_, body := get(t, s, "/metrics")
	fams := parseExposition(t, body)
	got := samples(fams["ckptmeta_watch_actions_total"])
	for _, a := range watch.Actions() {
		if v := got[fmt.Sprintf("action=%q", a)]; v != float64(counts[a]) {
			t.Errorf("ckptmeta_watch_actions_total{action=%q} = %v, want %d", a, v, counts[a])
		}
	}
	h := fams["ckptmeta_watch_event_lag_seconds"].Metric[0].Histogram
	if h.GetSampleCount() != n || math.Abs(h.GetSampleSum()-lagSum) > 1e-9 {
		t.Errorf("lag histogram count %d sum %v, want %d %v", h.GetSampleCount(), h.GetSampleSum(), n, lagSum)
	}
	for _, b := range h.Bucket {
		if b.GetUpperBound() == 0.25 && b.GetCumulativeCount() != 6 { // lags 0, 50, …, 250 ms
			t.Errorf("bucket le=0.25 has %d, want 6", b.GetCumulativeCount())
		}
	}
	_, page := get(t, s, "/")
	rows := regexp.MustCompile(`<tr class="action-([a-z]+)"><td>([^<]*)</td><td>[a-z]+</td><td>([^<]*)</td><td>([^<]*)</td></tr>`).FindAllStringSubmatch(page, -1)
	if len(rows) != 5 {
		t.Fatalf("page lists %d events, want the newest 5:\n%s", len(rows), page)
	}
	for i, r := range rows {
		k := n - 1 - i
		if want := fmt.Sprintf("exp/checkpoints/e%02d.ckpt", k); r[3] != want {
			t.Errorf("event row %d is %s, want %s (newest first)", i, r[3], want)
		}
		if want := base.Add(time.Duration(k) * time.Second).Format("2006-01-02 15:04:05.000"); r[2] != want {
			t.Errorf("event row %d time %s, want %s", i, r[2], want)
		}
	}
	if !strings.Contains(page, "<td>ckpt: truncated zip; 450ms after the file was complete</td>") {
		t.Errorf("the failed event's error is not on the page:\n%s", page)
	}
}

// TestPageEscapesNames: the live page is the status page (one template) with the events and a
// refresh; hostile names in experiments, paths and errors are text, never markup or terminal
// controls.
func TestPageEscapesNames(t *testing.T) {
	s := New(Options{NoRuntimeMetrics: true, Title: "training host <gpu1>"})
	s.Coverage(status(t, realTree(t)))
	s.Handled(watch.Event{Time: time.Now(), Path: "<script>alert(1)</script>/checkpoints/x.ckpt", Action: watch.ActionFailed,
		Err: errors.New("generate: \x1b[31mred\x1b[0m <img src=x onerror=alert(2)>")})
	code, page := get(t, s, "/")
	if code != 200 {
		t.Fatalf("/: %d", code)
	}
	for _, bad := range []string{"<script>alert", "<img src=x", "<b onmouseover", "\x1b", "\x01", "\xff"} {
		if strings.Contains(page, bad) {
			t.Errorf("the page contains %q raw", bad)
		}
	}
	for _, good := range []string{`<meta http-equiv="refresh" content="5">`, "&lt;script&gt;alert(1)&lt;/script&gt;/checkpoints/x.ckpt",
		`\x1b[31mred\x1b[0m &lt;img src=x onerror=alert(2)&gt;`, "training host &lt;gpu1&gt;", `<table id="experiments">`, `<svg id="chart"`} {
		if !strings.Contains(page, good) {
			t.Errorf("the page lacks %q", good)
		}
	}
	if runtime.GOOS != "windows" && !strings.Contains(page, "<td>&lt;b onmouseover=alert(1)&gt;x</td>") {
		t.Errorf("the hostile experiment is not a table cell of text:\n%s", page)
	}
	// The static status page is unchanged by the live additions: no refresh, no events.
	var static bytes.Buffer
	if err := catalog.WriteStatus(&static, status(t, realTree(t)), "html", catalog.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(static.String(), "refresh") || strings.Contains(static.String(), "Latest events") {
		t.Error("status -o html got the live page's refresh or events")
	}
}

// TestExperimentThatDisappearsIsNotExported: the coverage gauges follow the latest coverage.
func TestExperimentThatDisappearsIsNotExported(t *testing.T) {
	root := realTree(t)
	s := New(Options{NoRuntimeMetrics: true})
	s.Coverage(status(t, root))
	const gone = "pan_resnet18_no_polygons_canonical"
	if _, body := get(t, s, "/metrics"); !strings.Contains(body, `experiment="`+gone+`"`) {
		t.Fatalf("%s is not exported to begin with", gone)
	}
	if err := os.RemoveAll(filepath.Join(root, gone)); err != nil {
		t.Fatal(err)
	}
	s.Coverage(status(t, root))
	if _, body := get(t, s, "/metrics"); strings.Contains(body, gone) {
		t.Errorf("%s is still exported after it was removed", gone)
	}
}

func TestListenReportsAPortInUse(t *testing.T) {
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	_, err = Listen(addr)
	var le *ListenError
	if !errors.As(err, &le) || le.Addr != addr {
		t.Fatalf("second Listen(%s) = %v, want a *ListenError", addr, err)
	}
	if runtime.GOOS == "linux" {
		if want := "serve: listen on " + addr + ": address already in use"; err.Error() != want {
			t.Errorf("error %q, want %q", err, want)
		}
	}
	if _, err := Listen("127.0.0.1"); err == nil || strings.Count(err.Error(), "\n") > 0 {
		t.Errorf("Listen without a port: %v, want one line", err)
	}
}

// TestServeStopsWithItsContext: Serve answers until the context is done, then returns nil
// promptly and the port is closed.
func TestServeStopsWithItsContext(t *testing.T) {
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{NoRuntimeMetrics: true})
	s.Coverage(&catalog.Coverage{Latest: "2.0"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	url := "http://" + ln.Addr().String() + "/healthz"
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "ok\n" {
		t.Fatalf("GET /healthz: %d %q", resp.StatusCode, b)
	}
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve returned %v after its context was done, want nil", err)
		}
	case <-time.After(ShutdownTimeout + time.Second):
		t.Fatal("Serve did not return after its context was done")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("shutting down took %v with no request in flight", d)
	}
	if _, err := http.Get(url); err == nil {
		t.Error("the port still answers after Serve returned")
	}
}
