package catalog

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ckptmeta/ckptmeta/internal/testenv"
)

type promSample struct {
	name   string
	labels map[string]string
	value  float64
}

var metricName = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)

// parseProm is a strict reader of the text exposition format 0.0.4 as far as WriteStatus uses
// it: every sample's family must be declared by HELP and TYPE first, label values must be
// escaped properly, values must be floats.
func parseProm(t *testing.T, text string) []promSample {
	t.Helper()
	help, typ := map[string]bool{}, map[string]string{}
	var out []promSample
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "# HELP "):
			f := strings.SplitN(line[len("# HELP "):], " ", 2)
			if !metricName.MatchString(f[0]) || len(f) != 2 || help[f[0]] {
				t.Fatalf("line %d: bad or repeated HELP: %q", n, line)
			}
			help[f[0]] = true
			continue
		case strings.HasPrefix(line, "# TYPE "):
			f := strings.Fields(line[len("# TYPE "):])
			if len(f) != 2 || !help[f[0]] || typ[f[0]] != "" || f[1] != "gauge" {
				t.Fatalf("line %d: bad TYPE: %q", n, line)
			}
			typ[f[0]] = f[1]
			continue
		case line == "" || strings.HasPrefix(line, "#"):
			t.Fatalf("line %d: unexpected line %q", n, line)
		}
		s := promSample{labels: map[string]string{}}
		i := strings.IndexAny(line, "{ ")
		if i < 0 {
			t.Fatalf("line %d: no value: %q", n, line)
		}
		s.name = line[:i]
		if typ[s.name] == "" {
			t.Fatalf("line %d: sample of undeclared family %q", n, s.name)
		}
		rest := line[i:]
		if rest[0] == '{' {
			rest = rest[1:]
			for rest[0] != '}' {
				eq := strings.Index(rest, `="`)
				if eq < 0 {
					t.Fatalf("line %d: bad label in %q", n, line)
				}
				key := rest[:eq]
				rest = rest[eq+2:]
				var val strings.Builder
				for {
					if rest == "" {
						t.Fatalf("line %d: unterminated label value", n)
					}
					c := rest[0]
					rest = rest[1:]
					if c == '"' {
						break
					}
					if c == '\n' {
						t.Fatalf("line %d: raw newline in label", n)
					}
					if c == '\\' {
						switch rest[0] {
						case '\\':
							val.WriteByte('\\')
						case '"':
							val.WriteByte('"')
						case 'n':
							val.WriteByte('\n')
						default:
							t.Fatalf("line %d: bad escape \\%c", n, rest[0])
						}
						rest = rest[1:]
						continue
					}
					val.WriteByte(c)
				}
				if _, dup := s.labels[key]; dup || !metricName.MatchString(key) {
					t.Fatalf("line %d: bad or repeated label %q", n, key)
				}
				s.labels[key] = val.String()
				rest = strings.TrimPrefix(rest, ",")
			}
			rest = rest[1:]
		}
		if !strings.HasPrefix(rest, " ") {
			t.Fatalf("line %d: no space before value: %q", n, line)
		}
		v, err := strconv.ParseFloat(rest[1:], 64)
		if err != nil {
			t.Fatalf("line %d: value: %v", n, err)
		}
		s.value = v
		out = append(out, s)
	}
	return out
}

func TestPrometheusParsesBack(t *testing.T) {
	root := buildTree(t)
	// An experiment whose name needs every escape the format has.
	weird := "exp \"quoted\" \\ back\nslash"
	writeFile(t, filepath.Join(root, weird, "checkpoints", "last.ckpt"), fakeCkpt)
	c, err := Status(context.Background(), []string{root}, StatusOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteStatus(&buf, c, "prometheus", WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	samples := parseProm(t, buf.String())
	got := map[string]float64{}
	for _, s := range samples {
		got[s.name+"|"+s.labels["experiment"]+"|"+s.labels["state"]] = s.value
	}
	for _, e := range c.Experiments {
		for _, s := range tableStates {
			k := "ckptmeta_checkpoints|" + e.Name + "|" + string(s)
			if v, ok := got[k]; !ok || v != float64(e.Get(s)) {
				t.Errorf("%q = %v (present %v), want %d", k, v, ok, e.Get(s))
			}
		}
		if v := got["ckptmeta_coverage_ratio|"+e.Name+"|"]; v != e.Percent()/100 {
			t.Errorf("coverage ratio of %q = %v, want %v", e.Name, v, e.Percent()/100)
		}
	}
	if got["ckptmeta_checkpoints|"+weird+"|missing"] != 1 {
		t.Errorf("the escaped experiment name did not round-trip: %q", buf.String())
	}
	if v := got["ckptmeta_overall_coverage_ratio||"]; v != c.Percent()/100 {
		t.Errorf("overall ratio %v, want %v", v, c.Percent()/100)
	}
	// promtool (Debian package "prometheus") is the reference linter; use it when installed.
	if promtool, err := exec.LookPath("promtool"); err == nil {
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = bytes.NewReader(buf.Bytes())
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool check metrics: %v\n%s", err, out)
		}
	}
}

func TestStatusJSONShape(t *testing.T) {
	root := buildTree(t)
	c, err := Status(context.Background(), []string{root}, StatusOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteStatus(&buf, c, "json", WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		FormatVersion int    `json:"format_version"`
		Kind          string `json:"kind"`
		Totals        struct {
			Checkpoints     int     `json:"checkpoints"`
			CoveragePercent float64 `json:"coverage_percent"`
		} `json:"totals"`
		Items []struct {
			State string `json:"state"`
		} `json:"items"`
	}
	dec := json.NewDecoder(&buf)
	dec.DisallowUnknownFields()
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.FormatVersion != StatusFormatVersion || doc.Kind != "ckptmeta/status" || doc.Totals.Checkpoints != c.Total.Checkpoints ||
		len(doc.Items) != len(c.Items) || doc.Totals.CoveragePercent != round2(c.Percent()) {
		t.Errorf("json document %+v does not match the coverage %+v", doc, c.Total)
	}
}

func TestListCSVAndJSONAgree(t *testing.T) {
	root := buildTree(t)
	es, err := List(context.Background(), []string{root}, ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var cb, jb bytes.Buffer
	if err := WriteList(&cb, es, "csv"); err != nil {
		t.Fatal(err)
	}
	if err := WriteList(&jb, es, "json"); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&cb).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		FormatVersion int              `json:"format_version"`
		Count         int              `json:"count"`
		Entries       []map[string]any `json:"entries"`
	}
	if err := json.Unmarshal(jb.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.FormatVersion != ListFormatVersion || doc.Count != len(es) || len(recs) != len(es)+1 {
		t.Fatalf("format_version %d count %d, %d csv records, for %d entries", doc.FormatVersion, doc.Count, len(recs), len(es))
	}
	header := recs[0]
	for i, e := range doc.Entries {
		if len(e) != len(header) {
			t.Fatalf("entry %d has %d keys, csv has %d columns", i, len(e), len(header))
		}
		for j, col := range header {
			v, ok := e[col]
			if !ok {
				t.Fatalf("json entry lacks csv column %q", col)
			}
			want := ""
			if v != nil {
				want = fmt.Sprint(v)
			}
			if recs[i+1][j] != want {
				t.Errorf("entry %d %s: csv %q, json %q", i, col, recs[i+1][j], want)
			}
		}
	}
}

// TestHTMLInChromium renders the status page in headless Chromium and checks, in the DOM it
// built, that the chart has a bar per non-zero state and the table a row per experiment.
func TestHTMLInChromium(t *testing.T) {
	chromium := testenv.Chromium(t)
	root := buildTree(t)
	c, err := Status(context.Background(), []string{root}, StatusOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "status.html")
	var buf bytes.Buffer
	if err := WriteStatus(&buf, c, "html", WriteOptions{Title: "coverage of outputs/"}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	shot := filepath.Join(dir, "status.png")
	d, err := chromium.DOM(ctx, "file://"+page)
	if err != nil {
		t.Fatal(err)
	}
	bars := regexp.MustCompile(`<rect class="bar state-([a-z]+)"[^>]*data-count="(\d+)"`).FindAllStringSubmatch(d, -1)
	nonzero := 0
	for _, e := range c.Experiments {
		for _, s := range States() {
			if e.Get(s) > 0 {
				nonzero++
			}
		}
	}
	if len(bars) != nonzero {
		t.Errorf("chart has %d bars, want %d (one per non-zero state per experiment)", len(bars), nonzero)
	}
	if !strings.Contains(d, `<svg id="chart"`) {
		t.Error("no chart in the rendered DOM")
	}
	rows := regexp.MustCompile(`(?s)<table id="experiments">.*?</table>`).FindString(d)
	if n := strings.Count(rows, "<tr"); n != len(c.Experiments)+2 { // header + experiments + total
		t.Errorf("experiment table has %d rows, want %d", n, len(c.Experiments)+2)
	}
	for _, e := range c.Experiments {
		if !strings.Contains(rows, "<td>"+e.Name+"</td>") {
			t.Errorf("experiment %q is not in the table", e.Name)
		}
	}
	if !strings.Contains(d, "coverage of outputs/") || strings.Contains(d, "ZgotmplZ") {
		t.Error("title missing or a value was rejected by html/template")
	}
	if err := chromium.Screenshot(ctx, "file://"+page, shot, 1100, 900); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(shot); err != nil || fi.Size() < 1000 {
		t.Errorf("no screenshot: %v", err)
	}
	if dst := os.Getenv("CATALOG_SCREENSHOT"); dst != "" {
		testenv.CopyFile(t, shot, dst)
	}
}

// TestDeterministic: one worker or many, the outputs are byte-identical.
func TestDeterministic(t *testing.T) {
	root := buildTree(t)
	render := func(workers int) (string, string) {
		c, err := Status(context.Background(), []string{root}, StatusOptions{Jobs: workers})
		if err != nil {
			t.Fatal(err)
		}
		es, err := List(context.Background(), []string{root}, ListOptions{Jobs: workers, Sort: "-hmean"})
		if err != nil {
			t.Fatal(err)
		}
		var s, l bytes.Buffer
		if err := WriteStatus(&s, c, "json", WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := WriteList(&l, es, "json"); err != nil {
			t.Fatal(err)
		}
		return s.String(), l.String()
	}
	s1, l1 := render(1)
	for _, w := range []int{2, 7} {
		s, l := render(w)
		if s != s1 || l != l1 {
			t.Errorf("%d workers give different output than 1", w)
		}
	}
}

func TestHTMLEscapes(t *testing.T) {
	name := `<script>alert("x")</script>`
	c := &Coverage{Latest: "2.0", Total: Counts{Checkpoints: 1, Missing: 1},
		Experiments: []ExperimentCoverage{{Name: name, Counts: Counts{Checkpoints: 1, Missing: 1}}},
		Items:       []Item{{Experiment: name, Checkpoint: name + "/checkpoints/x.ckpt", State: StateMissing}}}
	var buf bytes.Buffer
	if err := WriteStatus(&buf, c, "html", WriteOptions{Title: name}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "<script") || !strings.Contains(out, "&lt;script&gt;") {
		t.Errorf("experiment name not escaped:\n%s", out)
	}
	// The one URL is the SVG namespace, which is a name, not a fetch.
	if strings.Count(out, "http") != 1 || strings.Contains(out, "src=") || strings.Contains(out, "<link") || strings.Contains(out, "url(") {
		t.Error("the page refers to something outside itself")
	}
}
