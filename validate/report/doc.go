// Package report renders validation results ([validate.Result]) for people
// and for CI: text, json, github, sarif and junit (see [Formats]).
//
// A [Reporter] is made by [New] for one io.Writer and one [Format]. The caller
// calls Report once per result, from one goroutine, in input order (sorted by
// path), then Close once with the run's [validate.Summary]. The package only
// renders: it never prints on its own, never decides exit codes, never reads
// the environment (colour and $GITHUB_STEP_SUMMARY are the caller's choice, via
// [Options]) and puts no timestamps in its output, so the same results always
// give the same bytes.
//
// Every format reports every finding. A StatusError result without findings
// is reported as a "file/unreadable" error made from Result.Err. File names and
// messages are untrusted: each format escapes them for its own syntax, and the
// line-oriented formats (text, github log lines, junit bodies) show control
// characters as Go escapes (\n, \x1b) so one finding is always one line.
// Because text and github output often lands in a GitHub Actions log, those
// lines also never start a workflow command: a path that would begin a line
// with "::" is shown as "./::…", and the legacy "##[" is shown as "##\x5b".
//
// # text
//
// One line per finding, then a summary line:
//
//	runs/a.ckpt.metadata.yaml:1:17: error: schema_version 1.0 is a number for PyYAML, not the string '1.0' [yaml/unquoted-version]
//	  hint: run `ckptmeta fix runs/a.ckpt.metadata.yaml`
//	runs/b.ckpt.metadata.yaml:1:1: error: open runs/b.ckpt.metadata.yaml: permission denied [file/unreadable]
//	2 files checked: 0 valid, 1 invalid, 1 unreadable; 2 errors, 0 warnings
//
// The validator gives every finding a line and column (file-level ones at 1:1 or at
// the key that causes them); ":line:col" is left out only for a hand-made finding
// without a line. Files skipped as not checkpoint metadata print nothing and are
// counted in the summary line (", 1 not a sidecar (skipped)", shown only when there
// are some). With [Options.Color] the
// severity, path and rule are coloured with ANSI escapes.
//
// # github
//
// GitHub Actions workflow commands, "::error file=P,line=L,col=C,title=RULE::MESSAGE"
// (and ::warning), escaped as the workflow-command grammar requires. GitHub
// shows at most 10 error and 10 warning annotations per step, so only the first
// ten of each become annotations; later findings are printed as plain text
// lines and a final "::notice::N more findings not annotated; see the step
// summary" says so ("…; they are listed in the log above" without a step
// summary). With [Options.StepSummary] set, every finding also goes
// into a Markdown table written there at Close (capped below GitHub's 1 MiB).
// The plain summary line ends the output.
//
// # sarif
//
// One SARIF 2.1.0 log with one run. tool.driver lists one rule per rule id
// seen, sorted, each with a shortDescription ([RuleDescription]); columns are
// unicodeCodePoints, as [validate.Finding] counts them. Each result has ruleId,
// ruleIndex, level (error or warning), message.text (the hint, if any, on a
// second line), one physicalLocation whose artifactLocation.uri is the path as
// given, percent-encoded (absolute paths become file: URIs), and a region when
// the line is known. partialFingerprints["ckptmeta/v1"] is the hex sha256 of
// "path|pointer|rule" (with "|n" appended for the n-th repeat within a file),
// so alerts survive edits that move lines. The log is written, indented, at
// Close.
//
// # junit
//
// A JUnit XML document written at Close: <testsuites> with one <testsuite>
// per directory (sorted by name) and one <testcase> per file, named by its
// path, with classname "ckptmeta.<schema_version>" ("ckptmeta.legacy" for
// version "0", "ckptmeta.unknown" when none was detected) and time="0". An
// invalid file has a <failure> whose type is the first failing rule and whose
// body lists all the file's findings as text lines; an unreadable file has an
// <error> instead. Warnings fail a case only under [Options.Strict]; otherwise
// they go into <system-out>.
//
// # json
//
// A single JSON document, streamed (the head, then one result per Report, then
// the summary at Close), so memory stays flat on any number of files:
//
//	{
//	  "format_version": 1,
//	  "tool": {
//	    "name": "ckptmeta",
//	    "version": "0.1.0"
//	  },
//	  "results": [
//	    {
//	      "path": "runs/a.ckpt.metadata.yaml",
//	      "schema_version": "1.0",
//	      "status": "invalid",
//	      "findings": [
//	        {
//	          "line": 3,
//	          "column": 10,
//	          "pointer": "/training/epoch",
//	          "rule": "schema/type",
//	          "severity": "error",
//	          "message": "got string, want integer",
//	          "hint": "..."
//	        }
//	      ]
//	    }
//	  ],
//	  "summary": {
//	    "files": 1,
//	    "valid": 0,
//	    "invalid": 1,
//	    "unreadable": 0,
//	    "skipped": 0,
//	    "errors": 1,
//	    "warnings": 0
//	  }
//	}
//
// The field names are API:
//
//   - format_version (number): [JSONFormatVersion]. It changes only when a field
//     is removed, renamed or changes meaning; consumers should reject versions
//     they do not know. New optional fields may appear without a bump.
//   - tool.name, tool.version (strings): [Options.Tool] and [Options.Version].
//   - results (array): one object per file, in the order reported (path order).
//   - results[].path (string): slash-separated, as given or discovered.
//   - results[].schema_version (string): the detected version, "0" for legacy
//     documents, "" when the file was not parsed.
//   - results[].status (string): "valid", "invalid", "unreadable" (not checked) or
//     "skipped" (named like a sidecar but not checkpoint metadata; no findings).
//   - results[].error (string, only when status is "unreadable"): why.
//   - results[].findings (array, never null): sorted by line, column, pointer, rule.
//   - findings[].line, findings[].column (numbers): 1-based (0 only for a
//     hand-made finding without a position; the validator always sets both).
//     Columns count Unicode code points.
//   - findings[].pointer (string): RFC 6901 pointer into the document, "" for
//     the whole document.
//   - findings[].rule (string): a stable rule id (DESIGN.md), e.g. "schema/type".
//   - findings[].severity (string): "error" or "warning".
//   - findings[].message (string): lowercase, no trailing period.
//   - findings[].hint (string, omitted when empty): advice.
//   - summary: counts for the run as passed to Close: files, valid, invalid,
//     unreadable (status "unreadable"), skipped (status "skipped"), errors and
//     warnings (findings). files = valid + invalid + unreadable + skipped.
//     format_version 1 said "error" and "errored" for unreadable.
//
// Skipped files: JUnit writes a <skipped> case for each (counted in the suites'
// skipped attribute); SARIF has no per-file slot, so the run's property bag says
// {"skippedFiles": n} when n > 0.
package report
