// Package generate builds checkpoint-metadata sidecars from what is actually known about a
// PyTorch Lightning checkpoint, and writes them for whole output trees.
//
// # Facts
//
// [Extract] gathers [Facts] from four places, most trusted first; a fact found in one is
// never replaced by a later one, and [Facts.Sources] records where each came from:
//
//  1. the checkpoint (read with internal/ckpt, which never executes the pickle):
//     epoch, global_step, pytorch-lightning_version, cleval_metrics (hmean or f1), and the
//     ModelCheckpoint-like callback state: monitor, mode (parsed from the
//     `Cls{'monitor': ..., 'mode': ...}` state key) and best_model_score. The best score is
//     also recorded as this checkpoint's own metric only when best_model_path names this file.
//  2. the checkpoint's hyper_parameters (AttributeDict, Namespace or OmegaConf, unwrapped).
//  3. the run's .hydra/config.yaml: the nearest one upward from the checkpoint, never above
//     the run directory (the one above "checkpoints") nor the outputs root. Interpolations
//     ${a.b} that point inside the file are resolved; ${hydra:...}, ${oc.env:...}, undefined
//     keys and cycles leave the value out with a warning. A part is read as the model is
//     built: model.component_overrides.<part> laid over model.<part> (the preset) key by key,
//     params flattened; its name from the strongest description that has a name (or a
//     model_name for the encoder), else the class of its _target_. The Sept-2025 layout's
//     model.architecture.{backbone,decoder,head} is read too (the backbone is the encoder).
//     The architecture is an architecture/architecture_name/architectures key; failing that,
//     the preset the run was composed with (model/architectures=NAME in .hydra/hydra.yaml's
//     task overrides or runtime choices, or overrides.yaml); failing that, the model's
//     _target_ class, with a warning.
//  4. the file name (epoch=10-step=1133, epoch-18_step-003895, epoch_09_step_002730,
//     best-hmean-0.8920) and the directory layout (the experiment is the directory above
//     the nearest "checkpoints").
//
// [Options.Carry] holds what a person wrote in the sidecar being replaced ([CarryOf] reads
// it): its exp_name and wandb_run_id win over all of the above; its other values (model
// parts, monitor, mode, save_top_k, save_last, training phase, max epochs, metrics) win over
// the file name, guesses and defaults but not over the checkpoint, its hyper_parameters or
// the Hydra config. Its extra keys and the comments of kept keys are kept too.
// Nothing is invented: "best" and "last" carry no epoch, and a checkpoint whose epoch or
// global step no source knows is an error ([ErrNoEpoch], [ErrNoGlobalStep]).
//
// # Unknowns
//
// Schema 1.0 requires some facts a checkpoint may not hold. Following the original tools,
// a required name nobody knows (model.architecture, the encoder's model_name, the decoder,
// head and loss names, checkpointing.monitor) is written "unknown"; an unknown
// checkpointing.mode is "min" for a monitor named like a loss or an error rate (val_loss,
// val/cer) and "max" otherwise, with a warning. Every key of the shape is written (the Jan-2026
// model requires them all): a nullable field as null, a non-nullable one with a default in
// the 1.0 model (training_phase, pretrained, frozen, decoder in_channels, params, save_top_k,
// save_last, additional_metrics) as that default. Schema 2.0 makes parts, monitor and mode
// optional, so 2.0 sidecars leave unknown parts out and write an unknown monitor or mode as
// null; its other keys get the same defaults (see schemas/CHANGELOG.md, "Absent and null"). Decoder and head params
// keep scalars only, loss params numbers only; the rest is dropped with a warning. NaN and
// infinite scores become null with a warning.
//
// # Rendering
//
// [Render] writes 1.0 and 1.1 in the key order of the original generator's sample and 2.0
// in the order of its schema, as a yaml.Node tree with two-space indentation. Every string
// that PyYAML would read as something else (numbers, yes/no/on/off, null, timestamps, "1.0")
// is quoted, and so are schema_version and created_at always. Paths are slash-separated
// and relative to the outputs root. 1.1 and 2.0 carry the Lightning version, the checkpoint
// fingerprint (size, mtime, sha256 of the pickle record) and provenance. Every rendered
// document is validated against its schema before it is returned (Options.Registry's: the
// one validate uses, schema extensions included, so nothing is written that validate would
// refuse); a failure comes back as [ErrInvalid]: a bug, unless an extension asks for what
// no checkpoint holds (a team field it requires).
//
// # Running
//
// [Build] makes one sidecar in memory. [Run] discovers checkpoints, skips those that have a
// sidecar under either naming (unless forced, or stale under RunOptions.Stale), builds with
// bounded parallelism, writes atomically (a reader sees the old file or the new one, never
// part of one), and reports each checkpoint once, in sorted order. A rebuilt sidecar
// replaces the file readers find first (never adding a second name), merges what a person
// wrote in it (see Options.Carry; no .bak is written), and records provenance action
// "regenerated". A checkpoint that fails
// (hostile, truncated, no epoch) is a Failed result naming the file; the run goes on.
// Checkpoints whose pickle names dangerous globals (ckpt.Classify: code that would run
// under torch.load) fail with [ErrUnsafe] unless Options.AllowUnsafe; unknown classes
// (user classes, torch.nn modules, partial of an optimizer) are inert stand-ins and do not
// stop generation. Nothing in a checkpoint is ever executed either way.
//
// Writes go through internal/fsutil's Roots, opened on the paths given to [Run]: a sidecar
// that is a symlink is written through to its target when that is inside those paths and
// is a Failed result (fsutil.ErrOutsideRoots) when it is not; a file that changed since it
// was read is left alone (fsutil.ErrChanged), as is one with other hard links; mode and (as
// root) owner are kept. A run that writes first removes the temp files a killed run left
// beside the checkpoints (sidecar.IsTemp).
//
// The package never prints and never exits; it reads the clock only through Options.Now
// when one is given.
package generate
