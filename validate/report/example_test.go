package report_test

import (
	"fmt"
	"os"

	"github.com/ckptmeta/ckptmeta/validate"
	"github.com/ckptmeta/ckptmeta/validate/report"
)

func ExampleNew() {
	results := []*validate.Result{
		{Path: "runs/a.ckpt.metadata.yaml", Version: "1.0", Status: validate.StatusInvalid, Findings: []validate.Finding{{
			Path: "runs/a.ckpt.metadata.yaml", Line: 1, Column: 17, Pointer: "/schema_version",
			Rule: "yaml/unquoted-version", Severity: validate.SeverityWarning,
			Message: "schema_version is the number 1.0, not a string", Hint: "run `ckptmeta fix runs/a.ckpt.metadata.yaml`",
		}, {
			Path: "runs/a.ckpt.metadata.yaml", Line: 7, Column: 10, Pointer: "/training/epoch",
			Rule: "schema/type", Severity: validate.SeverityError, Message: "got string, want integer",
		}}},
		{Path: "runs/b.ckpt.metadata.yaml", Version: "1.1", Status: validate.StatusValid},
	}
	rep, err := report.New(os.Stdout, report.Text, report.Options{Tool: "ckptmeta", Version: "0.1.0"})
	if err != nil {
		fmt.Println(err)
		return
	}
	var sum validate.Summary
	for _, r := range results {
		sum.Add(r)
		if err := rep.Report(r); err != nil {
			fmt.Println(err)
			return
		}
	}
	if err := rep.Close(sum); err != nil {
		fmt.Println(err)
	}
	// Output:
	// runs/a.ckpt.metadata.yaml:1:17: warning: schema_version is the number 1.0, not a string [yaml/unquoted-version]
	//   hint: run `ckptmeta fix runs/a.ckpt.metadata.yaml`
	// runs/a.ckpt.metadata.yaml:7:10: error: got string, want integer [schema/type]
	// 2 files checked: 1 valid, 1 invalid, 0 unreadable; 1 error, 1 warning
}

func ExampleParseFormat() {
	_, err := report.ParseFormat("xml")
	fmt.Println(err)
	// Output:
	// report: unknown format "xml" (valid: text, json, github, sarif, junit)
}
