package resultcache

import "encoding/binary"

// Encoder builds a payload: varints and length-prefixed strings, compact and fast to read
// back (a warm run decodes one payload per file).
type Encoder struct{ b []byte }

// Bytes is the payload built so far.
func (e *Encoder) Bytes() []byte { return e.b }

// Int appends a signed varint.
func (e *Encoder) Int(v int64) { e.b = binary.AppendVarint(e.b, v) }

// Uint appends an unsigned varint.
func (e *Encoder) Uint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }

// Bool appends one byte.
func (e *Encoder) Bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

// String appends a length-prefixed string.
func (e *Encoder) String(s string) {
	e.b = binary.AppendUvarint(e.b, uint64(len(s)))
	e.b = append(e.b, s...)
}

// Blob appends length-prefixed bytes.
func (e *Encoder) Blob(p []byte) {
	e.b = binary.AppendUvarint(e.b, uint64(len(p)))
	e.b = append(e.b, p...)
}

// Decoder reads what an Encoder wrote. Errors are sticky: after a short or malformed read
// every method returns zero values and Done reports false, so a damaged payload is a miss.
type Decoder struct {
	b   []byte
	bad bool
}

// NewDecoder reads p.
func NewDecoder(p []byte) *Decoder { return &Decoder{b: p} }

// Done reports whether everything was read, exactly, without error.
func (d *Decoder) Done() bool { return !d.bad && len(d.b) == 0 }

// OK reports whether no read failed so far.
func (d *Decoder) OK() bool { return !d.bad }

func (d *Decoder) take(n int) []byte {
	if d.bad || n < 0 || n > len(d.b) {
		d.bad = true
		return nil
	}
	p := d.b[:n:n]
	d.b = d.b[n:]
	return p
}

// Int reads a signed varint.
func (d *Decoder) Int() int64 {
	if d.bad {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.bad = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

// Uint reads an unsigned varint.
func (d *Decoder) Uint() uint64 {
	if d.bad {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.bad = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

// Byte reads one byte.
func (d *Decoder) Byte() byte {
	p := d.take(1)
	if p == nil {
		return 0
	}
	return p[0]
}

// Bool reads one byte written by Encoder.Bool.
func (d *Decoder) Bool() bool {
	switch d.Byte() {
	case 0:
		return false
	case 1:
		return true
	}
	d.bad = true
	return false
}

// String reads a length-prefixed string.
func (d *Decoder) String() string { return string(d.Bytes()) }

// Bytes reads length-prefixed bytes (a view of the payload, not a copy).
func (d *Decoder) Bytes() []byte {
	n := d.Uint()
	if n > uint64(len(d.b)) {
		d.bad = true
		return nil
	}
	return d.take(int(n))
}
