package ckpt

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/ckptmeta/ckptmeta/internal/testenv"
)

// sparseWriter seeks instead of writing while skip is set, so a test can
// build a 1 GiB zip entry as a hole in a sparse file.
type sparseWriter struct {
	f    *os.File
	skip bool
}

func (w *sparseWriter) Write(p []byte) (int, error) {
	if w.skip {
		_, err := w.f.Seek(int64(len(p)), io.SeekCurrent)
		return len(p), err
	}
	return w.f.Write(p)
}

// largePickle is {'epoch': 3, 'w': float32 tensor of numel elements in
// storage "0"}, hand-assembled in protocol 2.
func largePickle(numel int32) []byte {
	var b bytes.Buffer
	str := func(s string) {
		b.WriteByte('X')
		binary.Write(&b, binary.LittleEndian, uint32(len(s)))
		b.WriteString(s)
	}
	i32 := func(v int32) { b.WriteByte('J'); binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("\x80\x02}(")
	str("epoch")
	b.WriteString("K\x03")
	str("w")
	b.WriteString("ctorch._utils\n_rebuild_tensor_v2\n(")
	b.WriteString("(")
	str("storage")
	b.WriteString("ctorch\nFloatStorage\n")
	str("0")
	str("cpu")
	i32(numel)
	b.WriteString("tQ")    // persistent id
	b.WriteString("K\x00") // storage offset
	i32(numel)
	b.WriteString("\x85K\x01\x85\x89ccollections\nOrderedDict\n)RtR") // size, stride, requires_grad, hooks
	b.WriteString("u.")
	return b.Bytes()
}

// writeLargeCheckpoint writes a zip with a small data.pkl and a stored
// data/0 of size bytes (a hole; its CRC is not meaningful and never read).
func writeLargeCheckpoint(t testing.TB, path string, size int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sw := &sparseWriter{f: f}
	zw := zip.NewWriter(sw)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "archive/data.pkl", Method: zip.Store})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(largePickle(int32(size / 4)))
	w, err = zw.CreateRaw(&zip.FileHeader{Name: "archive/data/0", Method: zip.Store, CompressedSize64: uint64(size), UncompressedSize64: uint64(size)})
	if err != nil {
		t.Fatal(err)
	}
	zw.Flush()
	sw.skip = true
	chunk := make([]byte, 1<<20)
	for n := int64(0); n < size; n += int64(len(chunk)) {
		w.Write(chunk[:min(int64(len(chunk)), size-n)])
	}
	zw.Flush()
	sw.skip = false
	w, _ = zw.CreateHeader(&zip.FileHeader{Name: "archive/version", Method: zip.Store})
	w.Write([]byte("3\n"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestBytesReadIsOPickle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "large.ckpt")
	const size = 1 << 30
	writeLargeCheckpoint(t, path, size)
	if st, err := os.Stat(path); err != nil || st.Size() < size {
		t.Fatalf("large fixture: %v, %v", st, err)
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := r.Lookup("w")
	if tn, ok := w.(*Tensor); !ok || tn.Numel != size/4 || tn.Value != nil {
		t.Fatalf("w = %#v", w)
	}
	// The central directory, one local header, data.pkl and sniffing: a few KiB.
	if limit := 8*r.PickleSize + 8<<10; r.BytesRead > limit {
		t.Errorf("BytesRead = %d for a %d-byte pickle, want <= %d", r.BytesRead, r.PickleSize, limit)
	}
}

func BenchmarkOpenLarge(b *testing.B) {
	path := filepath.Join(b.TempDir(), "large.ckpt")
	writeLargeCheckpoint(b, path, 1<<30)
	b.ReportAllocs()
	b.ResetTimer()
	var read int64
	for i := 0; i < b.N; i++ {
		r, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		read = r.BytesRead
	}
	b.ReportMetric(float64(read), "bytes-read/op")
}

// BenchmarkOpen100Small opens 100 copies of a small Lightning checkpoint
// per iteration (the shape of a validate/generate run over a directory).
func BenchmarkOpen100Small(b *testing.B) {
	dir := b.TempDir()
	var paths []string
	for i := 0; i < 100; i++ {
		p := filepath.Join(dir, fmt.Sprintf("c%03d.ckpt", i))
		testenv.CopyFile(b, fixture("lightning2.ckpt"), p)
		paths = append(paths, p)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, p := range paths {
			if _, err := Open(p); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkFingerprint100Small(b *testing.B) {
	dir := b.TempDir()
	var paths []string
	for i := 0; i < 100; i++ {
		p := filepath.Join(dir, fmt.Sprintf("c%03d.ckpt", i))
		testenv.CopyFile(b, fixture("lightning2.ckpt"), p)
		paths = append(paths, p)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, p := range paths {
			if _, err := FingerprintFile(p); err != nil {
				b.Fatal(err)
			}
		}
	}
}
