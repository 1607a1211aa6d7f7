package safetext

import (
	"fmt"
	"io"
	"unicode/utf8"
)

// JSONWriter returns a writer for JSON text that rewrites every character [Line] would escape
// and encoding/json leaves raw (C1 controls, the bidi controls) as a \uXXXX escape. JSON only
// holds such characters inside strings, where the escape means the same character, so the
// document decodes to exactly the same values and is still safe to print: a name reaches a
// JSON consumer exactly, and a terminal never sees the raw character. (encoding/json already
// escapes C0, U+2028 and U+2029, and replaces invalid UTF-8.) The '[' of "##[", a GitHub
// runner command anywhere in a log line, becomes \u005b the same way.
//
// A multi-byte character split across two Writes is held until the next Write; JSON text
// ends in ASCII, so nothing is held at the end of a document.
func JSONWriter(w io.Writer) io.Writer { return &jsonWriter{w: w} }

type jsonWriter struct {
	w       io.Writer
	pending []byte // the start of a character the next Write completes
	buf     []byte
}

func (j *jsonWriter) Write(p []byte) (int, error) {
	data := p
	if len(j.pending) > 0 {
		data = append(j.pending, p...)
		j.pending = nil
	}
	// Hold back an incomplete character at the end, and trailing '#'s that may start "##[".
	end := len(data)
	for i := len(data) - 1; i >= 0 && i >= len(data)-utf8.UTFMax; i-- {
		if utf8.RuneStart(data[i]) {
			if !utf8.FullRune(data[i:]) {
				end = i
			}
			break
		}
	}
	for end > 0 && end > len(data)-2 && data[end-1] == '#' {
		end--
	}
	j.buf = j.buf[:0]
	for i := 0; i < end; {
		c := data[i]
		if c < utf8.RuneSelf {
			if c == '[' && len(j.buf) >= 2 && j.buf[len(j.buf)-1] == '#' && j.buf[len(j.buf)-2] == '#' {
				j.buf = append(j.buf, `\u005b`...) // "##[" is a runner command anywhere in a log line
			} else {
				j.buf = append(j.buf, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(data[i:end])
		if r != utf8.RuneError && unsafeRune(r) {
			j.buf = fmt.Appendf(j.buf, `\u%04x`, r)
		} else {
			j.buf = append(j.buf, data[i:i+size]...)
		}
		i += size
	}
	if end < len(data) {
		j.pending = append([]byte(nil), data[end:]...)
	}
	if _, err := j.w.Write(j.buf); err != nil {
		return 0, err
	}
	return len(p), nil
}
