package ckpt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"strings"
	"testing"
)

// legacyStream hand-assembles a legacy checkpoint: magic, protocol 1001,
// sys_info, {'epoch': 9, 'pad': <pad bytes of 'x'>}, an empty key list.
func legacyStream(pad int) []byte {
	var b bytes.Buffer
	b.WriteString("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.")
	b.WriteString("\x80\x02M\xe9\x03.")
	b.WriteString("\x80\x02}X\x0d\x00\x00\x00little_endian\x88s.")
	b.WriteString("\x80\x02}(X\x05\x00\x00\x00epochK\x09X\x03\x00\x00\x00padX")
	binary.Write(&b, binary.LittleEndian, uint32(pad))
	b.WriteString(strings.Repeat("x", pad))
	b.WriteString("u.")
	b.WriteString("\x80\x02].")
	return b.Bytes()
}

func TestLegacyStream(t *testing.T) {
	for _, pad := range []int{0, 200 << 10} { // the second outgrows the first 64 KiB read window
		data := legacyStream(pad)
		r, err := openBytes(data)
		if err != nil {
			t.Fatalf("pad %d: %v", pad, err)
		}
		if r.Format != FormatLegacy || r.PickleSize != int64(len(data)) {
			t.Errorf("pad %d: Format %v, PickleSize %d (len %d)", pad, r.Format, r.PickleSize, len(data))
		}
		if v, _ := r.Lookup("epoch"); v != int64(9) {
			t.Errorf("pad %d: epoch = %#v", pad, v)
		}
		if r.BytesRead > 2*int64(len(data)) {
			t.Errorf("pad %d: BytesRead %d for %d bytes", pad, r.BytesRead, len(data))
		}
		// Every proper prefix is a truncated checkpoint (or, before the magic is
		// complete, not recognisable at all); none may decode.
		for _, cut := range []int{1, 5, 16, 30, len(data) / 2, len(data) - 1} {
			_, err := openBytes(data[:cut])
			if !errors.Is(err, ErrTruncated) && !(cut < 16 && errors.Is(err, ErrFormat)) {
				t.Errorf("pad %d, cut at %d: err = %v, want ErrTruncated", pad, cut, err)
			}
		}
	}
}

// A legacy file cut inside its storages still has complete pickles; the
// declared storage sizes reveal the truncation.
func TestLegacyTruncatedStorages(t *testing.T) {
	data, err := os.ReadFile(fixture("legacy.ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := openBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	cut := data[:r.PickleSize+10]
	if _, err := openBytes(cut); !errors.Is(err, ErrTruncated) {
		t.Errorf("cut inside storages: err = %v, want ErrTruncated", err)
	}
}
