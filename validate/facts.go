package validate

import (
	"time"

	"github.com/ckptmeta/ckptmeta/internal/ckpt"
	"github.com/ckptmeta/ckptmeta/internal/resultcache"
)

// facts are what the neighbour checks read of a document: whether it parsed, where it
// starts, the checkpoint path it records and the fingerprint it records, with their
// positions. They are a file's content facts, so the results cache keeps them beside the
// verdict, and the neighbour checks run on them for a cached verdict exactly as for a fresh one.
type facts struct {
	parsed    bool
	line, col int // the document's start (sidecar/superseded)

	recPtr, rec     string // RecordedCheckpoint
	recLine, recCol int

	hasFP         bool // Recorded
	fp            ckpt.Fingerprint
	fpPtr         string
	fpLine, fpCol int

	sup *suppressions // the file's suppression comments, with what they suppressed in its content
}

// factsOf reads the facts of doc (nil: not parsed).
func factsOf(doc *Document) facts {
	var f facts
	if doc == nil {
		return f
	}
	f.parsed = true
	f.line, f.col = doc.Position("", false)
	if ptr, rec := RecordedCheckpoint(doc); ptr != "" {
		f.recPtr, f.rec = ptr, rec
		f.recLine, f.recCol = doc.Position(ptr, false)
	}
	if fp, ok := Recorded(doc); ok {
		f.hasFP, f.fp = true, fp
		f.fpPtr = fingerprintPointer(doc)
		f.fpLine, f.fpCol = doc.Position(f.fpPtr, false)
	}
	return f
}

// encodeVerdict is the cache payload of a verdict on content: res (Check's result, before
// the neighbour checks), the facts, and the caller's extra bytes.
func encodeVerdict(res *Result, f facts, extra []byte) []byte {
	var e resultcache.Encoder
	e.String(res.Version)
	e.Uint(uint64(res.Status))
	e.Uint(uint64(len(res.Findings)))
	for _, x := range res.Findings {
		e.Int(int64(x.Line))
		e.Int(int64(x.Column))
		e.String(x.Pointer)
		e.String(x.Rule)
		e.Uint(uint64(x.Severity))
		e.String(x.Message)
		e.String(x.Hint)
	}
	e.Bool(f.parsed)
	e.Int(int64(f.line))
	e.Int(int64(f.col))
	e.String(f.recPtr)
	e.String(f.rec)
	e.Int(int64(f.recLine))
	e.Int(int64(f.recCol))
	e.Bool(f.hasFP)
	e.Int(f.fp.Size)
	e.Int(f.fp.ModTime.Unix())
	e.Int(int64(f.fp.ModTime.Nanosecond()))
	e.String(f.fp.PickleSHA256)
	e.String(f.fpPtr)
	e.Int(int64(f.fpLine))
	e.Int(int64(f.fpCol))
	f.sup.encode(&e)
	e.Blob(extra)
	return e.Bytes()
}

// decodeVerdict reads what encodeVerdict wrote for the file name; ok is false for a
// damaged payload (then the file is checked afresh).
func decodeVerdict(name string, p []byte) (res *Result, f facts, extra []byte, ok bool) {
	d := resultcache.NewDecoder(p)
	res = &Result{Path: name, Version: d.String(), Status: Status(d.Uint())}
	n := d.Uint()
	if n > MaxFindings+1 || !d.OK() {
		return nil, f, nil, false
	}
	if n > 0 {
		res.Findings = make([]Finding, n)
	}
	for i := range res.Findings {
		x := &res.Findings[i]
		x.Path = name
		x.Line, x.Column = int(d.Int()), int(d.Int())
		x.Pointer, x.Rule = d.String(), d.String()
		x.Severity = Severity(d.Uint())
		x.Message, x.Hint = d.String(), d.String()
	}
	f.parsed = d.Bool()
	f.line, f.col = int(d.Int()), int(d.Int())
	f.recPtr, f.rec = d.String(), d.String()
	f.recLine, f.recCol = int(d.Int()), int(d.Int())
	f.hasFP = d.Bool()
	f.fp.Size = d.Int()
	sec, nsec := d.Int(), d.Int()
	if f.hasFP {
		f.fp.ModTime = time.Unix(sec, nsec)
	}
	f.fp.PickleSHA256, f.fpPtr = d.String(), d.String()
	f.fpLine, f.fpCol = int(d.Int()), int(d.Int())
	f.sup = decodeSuppressions(d, name)
	extra = d.Bytes()
	if !d.Done() || (res.Status != StatusValid && res.Status != StatusInvalid && res.Status != StatusSkipped) {
		return nil, f, nil, false
	}
	return res, f, extra, true
}
