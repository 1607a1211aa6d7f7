package ckpt

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrFormat means the input is not a PyTorch checkpoint this package can
	// decode. Every [*FormatError] matches it with errors.Is.
	ErrFormat = errors.New("ckpt: not a pytorch checkpoint")
	// ErrTruncated means the file ends early: a zip without its end of central
	// directory, a legacy stream that stops mid-pickle, or an empty file.
	// Usually a copy or save still in progress; retrying later may succeed.
	ErrTruncated = errors.New("ckpt: truncated checkpoint (copy in progress?)")
	// ErrUnsupported is wrapped by [*UnsupportedError].
	ErrUnsupported = errors.New("ckpt: unsupported checkpoint kind")
	// ErrLimit means a safety limit (pickle size, opcode count, nesting,
	// node budget, …) was exceeded. It is wrapped inside a [*FormatError].
	ErrLimit = errors.New("ckpt: safety limit exceeded")
)

// FormatError reports a malformed or hostile checkpoint. Record names the
// part of the file ("archive/data.pkl", "legacy", "zip") and Offset is the
// byte offset inside that record, or -1 when unknown.
type FormatError struct {
	Name   string
	Record string
	Offset int64
	Err    error
}

func (e *FormatError) Error() string {
	var b strings.Builder
	b.WriteString("ckpt: ")
	b.WriteString(e.Name)
	if e.Record != "" {
		b.WriteString(": ")
		b.WriteString(e.Record)
	}
	if e.Offset >= 0 {
		fmt.Fprintf(&b, ": offset %d", e.Offset)
	}
	msg := "invalid checkpoint"
	if e.Err != nil {
		msg = strings.TrimPrefix(e.Err.Error(), "ckpt: ")
	}
	b.WriteString(": ")
	b.WriteString(msg)
	return b.String()
}

func (e *FormatError) Unwrap() error { return e.Err }

// Is reports that every FormatError is an [ErrFormat].
func (e *FormatError) Is(target error) bool { return target == ErrFormat }

// UnsupportedError reports a checkpoint kind this package recognises but does
// not read: "torchscript", "tar" (torch < 0.4), "sharded" (a directory with
// meta.pt or DCP shards) or "directory".
type UnsupportedError struct {
	Name   string
	Kind   string
	Detail string
}

func (e *UnsupportedError) Error() string {
	s := "ckpt: " + e.Name + ": unsupported checkpoint kind " + e.Kind
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	return s
}

func (e *UnsupportedError) Unwrap() error { return ErrUnsupported }

func formatErr(name, record string, off int64, err error) error {
	return &FormatError{Name: name, Record: record, Offset: off, Err: err}
}

// limitErr builds an error wrapping ErrLimit.
func limitErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrLimit}, args...)...)
}
