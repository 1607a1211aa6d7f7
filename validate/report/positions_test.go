package report

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"regexp"
	"strings"
	"testing"

	"github.com/ckptmeta/ckptmeta/validate"
)

// Every finding the validator makes over the project's fixtures (orphans, conflicts, legacy
// files, schema errors, a broken file...) reaches every format with a line and a column.
func TestEveryFormatCarriesPositions(t *testing.T) {
	var results []*validate.Result
	v := validate.New(nil, validate.Options{})
	err := v.Run(context.Background(), []string{"../../testdata/outputs", "../../testdata/sidecars", "../../testdata/nothing-here.metadata.yaml"},
		func(r *validate.Result) { results = append(results, r) })
	if err != nil {
		t.Fatal(err)
	}
	var n int
	rules := map[string]bool{}
	for _, r := range results {
		for _, f := range r.Findings {
			n++
			rules[f.Rule] = true
			if f.Line < 1 || f.Column < 1 {
				t.Errorf("%s: %s at %d:%d", r.Path, f.Rule, f.Line, f.Column)
			}
		}
	}
	for _, rule := range []string{"sidecar/orphan", "sidecar/conflict", "sidecar/legacy", "file/unreadable", "yaml/syntax"} {
		if !rules[rule] {
			t.Fatalf("the fixtures gave no %s finding; this test needs one", rule)
		}
	}
	render := func(f Format) string {
		var b bytes.Buffer
		rep, err := New(&b, f, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var sum validate.Summary
		for _, r := range results {
			sum.Add(r)
			if err := rep.Report(r); err != nil {
				t.Fatal(err)
			}
		}
		if err := rep.Close(sum); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	count := func(f Format, re string) {
		t.Helper()
		if got := len(regexp.MustCompile(re).FindAllString(render(f), -1)); got != n {
			t.Errorf("%s: %d findings with a position, want all %d", f, got, n)
		}
	}
	count(Text, `(?m)^[^ ].*:[0-9]+:[0-9]+: (error|warning): `)
	// GitHub annotates the first ten of each severity; the rest are plain text lines.
	count(GitHub, `(?m)^(::(error|warning) file=[^,]*,line=[1-9][0-9]*,col=[1-9][0-9]*,|[^:].*:[0-9]+:[0-9]+: (error|warning): )`)

	var js struct {
		Results []struct {
			Findings []struct{ Line, Column int } `json:"findings"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(render(JSON)), &js); err != nil {
		t.Fatal(err)
	}
	got := 0
	for _, r := range js.Results {
		for _, f := range r.Findings {
			if f.Line >= 1 && f.Column >= 1 {
				got++
			}
		}
	}
	if got != n {
		t.Errorf("json: %d findings with a position, want %d", got, n)
	}

	var sarif struct {
		Runs []struct {
			Results []struct {
				Locations []struct {
					PhysicalLocation struct {
						Region *struct{ StartLine, StartColumn int } `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(render(SARIF)), &sarif); err != nil {
		t.Fatal(err)
	}
	got = 0
	for _, r := range sarif.Runs[0].Results {
		if reg := r.Locations[0].PhysicalLocation.Region; reg != nil && reg.StartLine >= 1 && reg.StartColumn >= 1 {
			got++
		}
	}
	if got != n {
		t.Errorf("sarif: %d results with a region, want %d", got, n)
	}

	var ju struct {
		Suites []struct {
			Cases []struct {
				Failure *struct {
					Body string `xml:",cdata"`
				} `xml:"failure"`
				Error *struct {
					Body string `xml:",cdata"`
				} `xml:"error"`
				Out *struct {
					Body string `xml:",cdata"`
				} `xml:"system-out"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(render(JUnit)), &ju); err != nil {
		t.Fatal(err)
	}
	lineRE := regexp.MustCompile(`(?m)^[^ ].*:[0-9]+:[0-9]+: (error|warning): `)
	got = 0
	for _, s := range ju.Suites {
		for _, c := range s.Cases {
			var body strings.Builder
			for _, p := range []*struct {
				Body string `xml:",cdata"`
			}{c.Failure, c.Error, c.Out} {
				if p != nil {
					body.WriteString(p.Body)
				}
			}
			got += len(lineRE.FindAllString(body.String(), -1))
		}
	}
	if got != n {
		t.Errorf("junit: %d finding lines with a position, want %d", got, n)
	}
}
