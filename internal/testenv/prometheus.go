package testenv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// PrometheusServer is a real Prometheus (Debian's prometheus package) on a loopback port,
// with its own config and storage in a temp dir, scraping one target (job "ckptmeta") every
// second. It is stopped when the test ends.
type PrometheusServer struct {
	URL string
	log *syncBuffer
}

// Prometheus starts Prometheus scraping target (host:port) and waits until it is ready,
// skipping or failing as Command does when it is not installed. Prometheus cannot listen on
// port 0, so a free port is picked and, should another process take it first, picked again.
func Prometheus(t *testing.T, target string) *PrometheusServer {
	t.Helper()
	exe := Command(t, "prometheus", "prometheus")
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
		log := &syncBuffer{}
		cmd := exec.Command(exe, "--config.file="+config, "--storage.tsdb.path="+filepath.Join(dir, fmt.Sprint("data", attempt)),
			"--web.listen-address="+addr, "--log.level=warn")
		cmd.Stdout, cmd.Stderr = log, log
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
		p := &PrometheusServer{URL: "http://" + addr, log: log}
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
			if resp, err := http.Get(p.URL + "/-/ready"); err == nil {
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

// Series is one result of an instant query: its labels and value.
type Series struct {
	Labels map[string]string
	Value  float64
}

// Query runs an instant query through Prometheus's HTTP API.
func (p *PrometheusServer) Query(t *testing.T, q string) []Series {
	t.Helper()
	resp, err := http.Get(p.URL + "/api/v1/query?query=" + url.QueryEscape(q))
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
	var out []Series
	for _, s := range r.Data.Result {
		v, err := strconv.ParseFloat(fmt.Sprint(s.Value[1]), 64)
		if err != nil {
			t.Fatalf("query %s: value %v: %v", q, s.Value[1], err)
		}
		out = append(out, Series{s.Metric, v})
	}
	return out
}

// WaitFor polls Prometheus until check(result of query q) returns "" or 60 s have passed
// (then the test fails with check's last complaint and Prometheus's log).
func (p *PrometheusServer) WaitFor(t *testing.T, what, q string, check func([]Series) string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		got := p.Query(t, q)
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

// syncBuffer collects a process's output; the test reads it while the process writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
