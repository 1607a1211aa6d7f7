// Package serve is the HTTP side of `ckptmeta watch --listen`: a [watch.Observer] that keeps
// the latest coverage and the latest events, and an [http.Handler] that serves them.
//
//   - /metrics: Prometheus metrics (client_golang). The coverage gauges are exactly those of
//     `ckptmeta status -o prometheus` (catalog.MetricFamilies: one naming), taken from the latest
//     coverage at each scrape, so an experiment that disappears stops being exported. Beside
//     them: ckptmeta_watch_actions_total{action} (every action from 0), the
//     ckptmeta_watch_event_lag_seconds histogram, ckptmeta_watch_ready, and the standard Go and
//     process collectors. Names are label values as the status output carries them: exact,
//     other control characters and invalid UTF-8 rendered (client_golang refuses invalid UTF-8).
//   - /healthz: 503 "starting" until the start-up scan has finished (the first Coverage call),
//     then 200 "ok". A watcher still scanning a large tree is alive but its metrics are not
//     yet meaningful, so a readiness probe should wait and a liveness probe should allow for it.
//   - /: the `status -o html` page with the latest events (at most Options.Events) and a
//     <meta http-equiv="refresh">; no script, no external asset, every name escaped.
//
// The package never prints and never exits; Serve returns when its context is done.
package serve

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ckptmeta/ckptmeta/catalog"
	"github.com/ckptmeta/ckptmeta/schemas"
	"github.com/ckptmeta/ckptmeta/watch"
)

// Defaults of Options.
const (
	DefaultEvents  = 100
	DefaultRefresh = 5 * time.Second
	DefaultTitle   = "ckptmeta watch"
)

// LagBuckets are the upper bounds (seconds) of ckptmeta_watch_event_lag_seconds: dense around
// the 500 ms target for a checkpoint's sidecar, up to a minute for a long retry.
var LagBuckets = []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// Options configures a Server. The zero value is usable.
type Options struct {
	Title   string        // heads the page; "" = DefaultTitle
	Events  int           // how many latest events the page keeps; 0 = DefaultEvents
	Refresh time.Duration // how often the page reloads itself; 0 = DefaultRefresh, negative = never
	// NoRuntimeMetrics leaves out the Go and process collectors (for tests that compare the
	// whole exposition).
	NoRuntimeMetrics bool
}

// Server observes a watcher and serves what it saw. Its methods are safe for concurrent use.
type Server struct {
	opts     Options
	latest   string // the registry's latest schema_version, for the page before the first scan
	registry *prometheus.Registry
	actions  *prometheus.CounterVec
	lag      prometheus.Histogram
	ready    prometheus.Gauge
	mux      *http.ServeMux

	mu       sync.Mutex
	coverage *catalog.Coverage
	events   []watch.Event // ring of the latest events
	next     int           // where the next event goes once the ring is full
}

var _ watch.Observer = (*Server)(nil)

// New returns a Server with its own Prometheus registry (nothing is registered globally).
func New(o Options) *Server {
	if o.Title == "" {
		o.Title = DefaultTitle
	}
	if o.Events <= 0 {
		o.Events = DefaultEvents
	}
	if o.Refresh == 0 {
		o.Refresh = DefaultRefresh
	}
	s := &Server{opts: o, latest: schemas.Default().Latest().Version, registry: prometheus.NewRegistry()}
	s.actions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ckptmeta_watch_actions_total",
		Help: "Files the watcher acted on, by action (generated, regenerated, migrated, validated, failed).",
	}, []string{"action"})
	for _, a := range watch.Actions() {
		s.actions.WithLabelValues(string(a)) // every action is exported from 0
	}
	s.lag = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "ckptmeta_watch_event_lag_seconds",
		Help:    "Time from a file being complete (last write, close or rename seen) to the watcher's action on it finished.",
		Buckets: LagBuckets,
	})
	s.ready = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "ckptmeta_watch_ready",
		Help: "1 once the start-up scan has finished (the coverage metrics are meaningful), else 0.",
	})
	s.registry.MustRegister(coverageCollector{s}, s.actions, s.lag, s.ready)
	if !o.NoRuntimeMetrics {
		s.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	s.mux = http.NewServeMux()
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{
		// A name that renders like another one (a raw control character and its spelled-out
		// escape) would make a duplicate series: it is left out and the rest is served.
		ErrorHandling: promhttp.ContinueOnError,
	}))
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /{$}", s.page)
	return s
}

// Registry is the server's Prometheus registry (to add collectors, or to gather in tests).
func (s *Server) Registry() *prometheus.Registry { return s.registry }

// Coverage records the latest coverage (watch.Observer). The first call marks the start-up
// scan finished.
func (s *Server) Coverage(c *catalog.Coverage) {
	if c == nil {
		return
	}
	s.mu.Lock()
	s.coverage = c
	s.mu.Unlock()
	s.ready.Set(1)
}

// Handled counts the event, observes its lag and keeps it for the page (watch.Observer).
func (s *Server) Handled(e watch.Event) {
	s.actions.WithLabelValues(string(e.Action)).Inc()
	if e.Lag >= 0 {
		s.lag.Observe(e.Lag.Seconds())
	}
	s.mu.Lock()
	if len(s.events) < s.opts.Events {
		s.events = append(s.events, e)
	} else {
		s.events[s.next] = e
		s.next = (s.next + 1) % len(s.events)
	}
	s.mu.Unlock()
}

// Ready reports whether the start-up scan has finished.
func (s *Server) Ready() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.coverage != nil
}

// snapshot returns the latest coverage (nil before the scan) and the kept events, newest first.
func (s *Server) snapshot() (*catalog.Coverage, []watch.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]watch.Event, 0, len(s.events))
	for i := range s.events {
		// the newest is just before next (or the last appended while the ring is filling)
		j := (s.next - 1 - i + 2*len(s.events)) % len(s.events)
		out = append(out, s.events[j])
	}
	return s.coverage, out
}

// ServeHTTP serves /metrics, /healthz and the page at /.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if !s.Ready() {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "starting: start-up scan in progress")
		return
	}
	fmt.Fprintln(w, "ok")
}

func (s *Server) page(w http.ResponseWriter, _ *http.Request) {
	c, events := s.snapshot()
	live := &catalog.LivePage{Refresh: max(s.opts.Refresh, 0)}
	if c == nil {
		c = &catalog.Coverage{Latest: s.latest}
		live.Note = "Start-up scan in progress: coverage is not known yet."
	}
	for _, e := range events {
		live.Events = append(live.Events, catalog.PageEvent{Time: e.Time, Action: string(e.Action), Path: e.Path, Detail: detail(e)})
	}
	var buf bytes.Buffer
	if err := catalog.WriteStatus(&buf, c, "html", catalog.WriteOptions{Title: s.opts.Title, Live: live}); err != nil {
		http.Error(w, "serve: rendering the page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	// The page is self-contained: no script, no outside asset; inline styles only.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.Write(buf.Bytes())
}

// detail is an event's last column on the page.
func detail(e watch.Event) string {
	var d string
	switch {
	case e.Err != nil:
		d = e.Err.Error()
	case e.Findings == 1:
		d = "1 finding"
	default:
		d = strconv.Itoa(e.Findings) + " findings"
	}
	if e.Lag > 0 {
		d += "; " + e.Lag.Round(time.Millisecond).String() + " after the file was complete"
	}
	return d
}

// coverageCollector exports the latest coverage as catalog.MetricFamilies at each scrape.
type coverageCollector struct{ s *Server }

// Describe sends nothing: the families' label sets come from catalog and are checked at each
// gather, so the collector is "unchecked" (client_golang's term) and cannot drift from catalog.
func (coverageCollector) Describe(chan<- *prometheus.Desc) {}

func (cc coverageCollector) Collect(ch chan<- prometheus.Metric) {
	c, _ := cc.s.snapshot()
	if c == nil {
		return
	}
	for _, f := range catalog.MetricFamilies(c) {
		desc := prometheus.NewDesc(f.Name, f.Help, f.Labels, nil)
		for _, sm := range f.Samples {
			m, err := prometheus.NewConstMetric(desc, prometheus.GaugeValue, sm.Value, sm.LabelValues...)
			if err != nil {
				m = prometheus.NewInvalidMetric(desc, err)
			}
			ch <- m
		}
	}
}

// ListenError is a --listen address that could not be opened (in use, not ours, malformed).
type ListenError struct {
	Addr string
	Err  error
}

func (e *ListenError) Error() string { return "serve: listen on " + e.Addr + ": " + errText(e.Err) }
func (e *ListenError) Unwrap() error { return e.Err }

// errText drops the repetition of the address in net's errors ("listen tcp 127.0.0.1:9100: bind:
// address already in use" → "address already in use").
func errText(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		var sys interface{ Unwrap() error }
		if errors.As(op.Err, &sys) && sys.Unwrap() != nil {
			return sys.Unwrap().Error()
		}
		return op.Err.Error()
	}
	return err.Error()
}

// Listen opens a TCP listener on addr (host:port; port 0 picks a free one). Callers open it
// before starting the watcher, so a port in use is reported before any work is done.
func Listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, &ListenError{Addr: addr, Err: err}
	}
	return ln, nil
}

// ShutdownTimeout bounds how long Serve waits for requests in flight once its context is done.
const ShutdownTimeout = 5 * time.Second

// Serve serves s on ln until ctx is done, then shuts down gracefully (requests in flight get
// ShutdownTimeout) and returns nil. Another failure of the server is returned as it happened.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownTimeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	if e := <-done; !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	if err != nil {
		return fmt.Errorf("serve: shutting down: %w", err)
	}
	return nil
}
