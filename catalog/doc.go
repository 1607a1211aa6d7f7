// Package catalog answers two questions about a tree of checkpoints: how much of it has good
// metadata ([Status], `ckptmeta status`), and what is in it ([List], `ckptmeta list`).
//
// Both walk the paths with sidecar.Walk and group what they find by checkpoint, so results are
// sorted by path and do not depend on scheduling; sidecars are read and checked by a bounded
// pool of workers with the same validate package `ckptmeta validate` uses, so a sidecar is
// never "current" here and invalid there. Neither ever writes a file (the scratch file of
// ListTo and StatusTo in os.TempDir aside, which they remove). Per-file trouble never stops a
// run: it becomes a state (Status) or an entry's Problem (List); a path that does not exist
// is a [Problem]. Both fail
// only for bad filter or sort input ([*FilterError], [*SortError]), or when the context is done.
//
// # Status and coverage
//
// Every checkpoint gets one [State]; the first that applies wins:
//
//   - conflict: two or more YAML sidecars name it (not validated: the user must choose);
//   - invalid: the sidecar that counts (the YAML one, else the legacy JSON) is unreadable or invalid;
//   - legacy: the sidecar that counts is a well-formed legacy document (no schema_version: the
//     V0 X.metadata.json or unversioned YAML), or the only sidecar is a valid X.metadata.json;
//   - stale: the sidecar is valid and its fingerprint (1.1 checkpoint_fingerprint, 2.0
//     checkpoint.fingerprint) says the checkpoint changed since; skipped with NoStale. A sidecar
//     without a fingerprint is never stale: staleness is not knowable for it;
//   - outdated: valid, at an older schema_version than the registry's latest;
//   - current: valid, at the latest schema_version;
//   - missing: no sidecar at all.
//
// A sidecar whose checkpoint does not exist is an orphan: one item per sidecar, not counted
// among checkpoints. Unlike the old Python validator, an invalid sidecar is never reported as
// missing.
//
// Coverage ([Counts.Percent], [Coverage.Percent]) is the share of checkpoints with a valid
// sidecar of any known version whose facts still hold: (current + outdated) / checkpoints.
// Outdated counts because `ckptmeta migrate` upgrades it without losing anything; stale does not
// (its facts describe another checkpoint), nor does legacy (`ckptmeta validate` rejects it until
// it is migrated). [Counts.CurrentPercent] is current / checkpoints. With no checkpoints both are 100.
// The experiment of a checkpoint is sidecar.Experiment: the directory above its "checkpoints".
//
// [WriteStatus] renders a Coverage as "table", "json", "prometheus" or "html".
//
// The status JSON document (format_version 1) is
//
//	{"format_version": 1, "kind": "ckptmeta/status", "latest_schema_version": "2.0",
//	 "totals": COUNTS,
//	 "experiments": [{"name": "...", ...COUNTS}],            // sorted by name
//	 "items": [{"experiment", "checkpoint", "sidecars": [...], "state", "schema_version", "reason"}],
//	 "problems": [{"path", "error"}]}
//
// where COUNTS is {"checkpoints", "current", "outdated", "stale", "legacy", "invalid", "conflict",
// "missing", "orphans", "covered", "coverage_percent", "current_percent"} (percentages rounded to
// two decimals). Items are sorted by checkpoint path; schema_version and reason are "" when
// unknown or not applicable. Keys are only ever added within a format_version.
//
// The prometheus format is the text exposition format for node_exporter's textfile collector:
// gauges ckptmeta_checkpoints{experiment,state}, ckptmeta_orphan_sidecars{experiment},
// ckptmeta_coverage_ratio{experiment}, ckptmeta_current_ratio{experiment},
// ckptmeta_overall_coverage_ratio, ckptmeta_overall_current_ratio and ckptmeta_scan_problems.
// Every state is written for every experiment, zeros included, so series do not vanish.
// Debian's prometheus package ships promtool; the tests also run `promtool check metrics` on the
// output when it is on PATH.
//
// The html format is one self-contained page (inline CSS, an inline SVG stacked-bar chart per
// experiment, no script, nothing fetched).
//
// # List
//
// [List] builds the catalog from sidecars alone: one [Entry] per sidecar, whether or not its
// checkpoint is present (Entry.CheckpointPresent), and one per present checkpoint without a
// sidecar. It reads every schema version: 2.0 (experiment.name, checkpoint.path,
// metrics.values.*), 1.1 and 1.0 (exp_name, checkpoint_path, metrics.*), and legacy "0" (string
// model.encoder, flat logged metrics such as val/hmean). Every sidecar is checked by the
// validator `ckptmeta validate` uses (no checkpoint is opened: no fingerprints); Problem names
// the rule ids of its errors, and a field with an error at or inside its value is unknown (null).
// A misplaced sidecar (copied from another run) is listed under the experiment it sits in. A
// legacy JSON beside its YAML successor is not listed, nor is a file that only shares the
// naming. Epoch-0 checkpoints are listed (the old catalog dropped them). With Fallback, a
// checkpoint without a sidecar is read through generate.Build (nothing is written); otherwise its
// entry has Source "none". ValidOnly keeps present checkpoints with an error-free (or legacy)
// sidecar, and those without one. Paths the walk could not read go to ListOptions.OnProblem.
// [ListTo] writes the catalog in flat memory: rows are sorted through a scratch file in
// os.TempDir (an external merge sort, a few thousand rows in memory at a time; the file is
// removed before it returns, and on Unix unlinked from the start). [StatusTo] does the same
// for status; [Status] returns every item in memory.
//
// Filters ([ParseFilter]) are FIELD OP VALUE with OP one of = != < <= > >= ~, ANDed; sort keys
// ([ParseSort]) are comma-separated fields, "-" for descending. [Fields] lists the field names,
// which are the JSON keys.
//
// [WriteList] renders entries as "table", "json" or "csv". The list JSON document
// (format_version 1), meant to be read by other programs instead of scanning the tree, is
//
//	{"format_version": 1, "kind": "ckptmeta/list", "count": N, "entries": [ENTRY...]}
//
// with ENTRY {"experiment", "checkpoint", "checkpoint_present", "sidecar", "schema_version", "architecture",
// "encoder", "epoch", "step", "precision", "recall", "hmean", "created", "recorded_path",
// "source", "problem"}: strings ("" when unknown), epoch and step integers or null, precision,
// recall and hmean numbers or null; checkpoint_present a boolean; source is "sidecar",
// "checkpoint" or "none". The CSV has the
// same columns under the same names, with empty cells for null.
package catalog
