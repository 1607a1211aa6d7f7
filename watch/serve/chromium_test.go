package serve

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ckptmeta/ckptmeta/internal/testenv"
	"github.com/ckptmeta/ckptmeta/watch"
)

// TestLivePageInChromium renders the live page, served over HTTP, in headless Chromium and
// checks in the DOM it built the coverage of a real tree (hostile names as text) and the
// latest events; then that the page reloads itself and shows what the watcher did since.
func TestLivePageInChromium(t *testing.T) {
	chromium := testenv.Chromium(t)
	c := status(t, realTree(t))
	s := New(Options{Refresh: time.Second, Title: "watch of outputs/"})
	s.Coverage(c)
	base := time.Date(2026, 12, 1, 1, 2, 3, 0, time.UTC)
	s.Handled(watch.Event{Time: base, Path: "outputs/a/checkpoints/epoch-01.ckpt", Action: watch.ActionGenerated, Lag: 90 * time.Millisecond})
	s.Handled(watch.Event{Time: base.Add(time.Second), Path: "outputs/<i>b</i>/checkpoints/last.ckpt", Action: watch.ActionFailed,
		Err: errors.New("ckpt: zip central directory not readable")})

	// After each request for the page is answered the watcher acts once more
	// (after-page-N.ckpt): only a page that reloads itself can show that event. Headless
	// Chromium's virtual time would reload a self-refreshing page forever, so the reloaded
	// page (request 3) is served without its refresh; otherwise it is the server's byte for byte.
	var pages atomic.Int32
	const refresh = `<meta http-equiv="refresh" content="1">`
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			s.ServeHTTP(w, r)
			return
		}
		n := pages.Add(1)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, r)
		body := rec.Body.String()
		if n >= 3 {
			body = strings.Replace(body, refresh, "", 1)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write([]byte(body))
		s.Handled(watch.Event{Time: base.Add(time.Duration(n) * time.Minute), Path: fmt.Sprintf("outputs/a/checkpoints/after-page-%d.ckpt", n),
			Action: watch.ActionRegenerated})
	}))
	defer ts.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	dom, err := chromium.DOM(ctx, ts.URL+"/")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(dom, refresh) {
		t.Error("no refresh in the rendered page")
	}
	rows := regexp.MustCompile(`(?s)<table id="experiments">.*?</table>`).FindString(dom)
	if n := strings.Count(rows, "<tr"); n != len(c.Experiments)+2 {
		t.Errorf("experiment table has %d rows, want %d (header, experiments, total)", n, len(c.Experiments)+2)
	}
	for _, name := range []string{"det_resnet50_v1", "parseq_baseline"} {
		if !strings.Contains(rows, "<td>"+name+"</td>") {
			t.Errorf("experiment %s is not in the table", name)
		}
	}
	if runtime.GOOS != "windows" && !strings.Contains(rows, "<td>&lt;b onmouseover=alert(1)&gt;x</td>") {
		t.Error("the hostile experiment name is not a text cell")
	}
	if !strings.Contains(dom, `<strong id="coverage">`+pctText(c.Total.Percent())+`</strong>`) {
		t.Errorf("overall coverage %s is not on the page", pctText(c.Total.Percent()))
	}
	events := regexp.MustCompile(`(?s)<table class="items" id="events">.*?</table>`).FindString(dom)
	for _, want := range []string{"<td>outputs/a/checkpoints/epoch-01.ckpt</td>", "<td>outputs/&lt;i&gt;b&lt;/i&gt;/checkpoints/last.ckpt</td>",
		"<td>ckpt: zip central directory not readable</td>", "<td>2026-12-01 01:02:04.000</td>"} {
		if !strings.Contains(events, want) {
			t.Errorf("events table lacks %s:\n%s", want, events)
		}
	}
	if strings.Contains(dom, "after-page-1") {
		t.Error("the page shows an event that happened after it was served")
	}
	if strings.Contains(dom, "<i>b</i>") || strings.Contains(dom, "ZgotmplZ") {
		t.Error("a name became markup, or html/template rejected a value")
	}

	// Let the page reload itself (virtual time runs the 1 s refresh at once): the event that
	// happened after the second load was served appears.
	reloaded, err := chromium.DOM(ctx, ts.URL+"/", "--virtual-time-budget=3000")
	if err != nil {
		t.Fatal(err)
	}
	if n := pages.Load(); n < 3 {
		t.Errorf("the page was requested %d time(s) in all; it should have reloaded itself", n)
	}
	if !strings.Contains(reloaded, "<td>regenerated</td><td>outputs/a/checkpoints/after-page-2.ckpt</td>") {
		t.Errorf("after reloading, the page does not show the event after-page-2:\n%s", reloaded)
	}

	shot := filepath.Join(t.TempDir(), "watch.png")
	if err := chromium.Screenshot(ctx, ts.URL+"/", shot, 1100, 1200); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(shot); err != nil || fi.Size() < 1000 {
		t.Errorf("no screenshot: %v", err)
	}
	if dst := os.Getenv("WATCH_SCREENSHOT"); dst != "" {
		b, err := os.ReadFile(shot)
		if err == nil {
			err = os.WriteFile(dst, b, 0o644)
		}
		if err != nil {
			t.Error(err)
		}
	}
}

func pctText(p float64) string { return strconv.FormatFloat(p, 'f', 1, 64) + "%" }
