package ckpt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// hostileMemoryLimit is the peak memory any single hostile input may cost
// (issue 14): measured as the growth of the process's peak resident set.
const hostileMemoryLimit = 64 << 20

// hostileInputs builds one data.pkl per class of input that used to blow up
// memory, each as large as the reader lets it be or larger.
func hostileInputs() map[string][]byte {
	in := map[string][]byte{}
	// LONG4 declaring 2 GiB with nothing behind it, and a real 1 MiB integer.
	in["long4-declared"] = []byte("\x80\x02\x8b\xff\xff\xff\x7f\x00.")
	big := append([]byte("\x80\x02\x8b\x00\x00\x10\x00"), bytes.Repeat([]byte{0x7f}, 1<<20)...)
	in["long4-1MiB"] = append(big, '.')
	// {i: None for i in range(N)} as pickle writes it (SETITEMS batches of 1000).
	var d bytes.Buffer
	d.WriteString("\x80\x02}")
	for i := 0; i < 4<<20; i++ {
		if i%1000 == 0 {
			if i > 0 {
				d.WriteByte('u')
			}
			d.WriteByte('(')
		}
		d.WriteByte('J')
		binary.Write(&d, binary.LittleEndian, int32(i))
		d.WriteByte('N')
	}
	d.WriteString("u.")
	in["dict-int-keys"] = d.Bytes()
	// The same with 8-character string keys: about 7 bytes per value, like real pickles.
	d = bytes.Buffer{}
	d.WriteString("\x80\x02}")
	for i := 0; i < 1<<20; i++ {
		if i%1000 == 0 {
			if i > 0 {
				d.WriteByte('u')
			}
			d.WriteByte('(')
		}
		fmt.Fprintf(&d, "X\x08\x00\x00\x00k%07dN", i)
	}
	d.WriteString("u.")
	in["dict-str-keys"] = d.Bytes()
	// A list of empty dicts: one byte per container.
	d = bytes.Buffer{}
	d.WriteString("\x80\x02](")
	for i := 0; i < 1<<22; i++ {
		if i%1000 == 999 {
			d.WriteString("e(")
		}
		d.WriteByte('}')
	}
	d.WriteString("e.")
	in["list-empty-dicts"] = d.Bytes()
	// Tuples of tuples via TUPLE1: two bytes per container.
	in["nested-tuple1"] = append(append([]byte("\x80\x02N"), bytes.Repeat([]byte{0x85}, 1<<22)...), '.')
	// Memo: a million BINPUTs with scattered indexes, and memo expansion (billion laughs).
	d = bytes.Buffer{}
	d.WriteString("\x80\x02N")
	for i := 0; i < 1<<20; i++ {
		d.WriteByte('r')
		binary.Write(&d, binary.LittleEndian, uint32(i*4096+1))
	}
	d.WriteByte('.')
	in["memo-scattered"] = d.Bytes()
	d = bytes.Buffer{}
	d.WriteString("\x80\x02X\x01\x00\x00\x00xq\x000")
	for i := 0; i < 60; i++ { // level i+1 = [level i, level i]: 2^60 leaves
		fmt.Fprintf(&d, "](h%ch%ceq%c0", byte(i), byte(i), byte(i+1))
	}
	fmt.Fprintf(&d, "h%c.", byte(60))
	in["memo-expansion"] = d.Bytes()
	// The same, padded with a string so that the proportional budgets reach
	// their absolute caps: as many empty dicts and string keys as any input
	// may have.
	pad := func(b *bytes.Buffer, n int) {
		b.WriteString("\x80\x02X")
		binary.Write(b, binary.LittleEndian, uint32(n))
		b.Write(bytes.Repeat([]byte{'p'}, n))
		b.WriteByte('0') // POP
	}
	d = bytes.Buffer{}
	pad(&d, 12<<20)
	d.WriteString("](")
	for i := 0; i < maxContainers-2; i++ {
		if i%1000 == 999 {
			d.WriteString("e(")
		}
		d.WriteByte('}')
	}
	d.WriteString("e.")
	in["padded-empty-dicts"] = d.Bytes()
	d = bytes.Buffer{}
	pad(&d, 4<<20)
	d.WriteString("}")
	for i := 0; i < maxValues/2-2; i++ {
		if i%1000 == 0 {
			if i > 0 {
				d.WriteByte('u')
			}
			d.WriteByte('(')
		}
		fmt.Fprintf(&d, "X\x08\x00\x00\x00k%07dN", i)
	}
	d.WriteString("u.")
	in["padded-str-keys"] = d.Bytes()
	// One huge string: as much as data.pkl may hold.
	s := make([]byte, maxPickleSize-16)
	for i := range s {
		s[i] = 'a'
	}
	d = bytes.Buffer{}
	d.WriteString("\x80\x02X")
	binary.Write(&d, binary.LittleEndian, uint32(len(s)))
	d.Write(s)
	d.WriteByte('.')
	in["huge-string"] = d.Bytes()
	return in
}

// TestHostileMemory opens each hostile input in a child process (the peak
// resident set, VmHWM, is per process and starts afresh at exec) and fails
// when the open grew the peak by more than hostileMemoryLimit. Each input
// must be refused or read; none may crash. Linux only: VmHWM is Linux's.
func TestHostileMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds ~100 MB of inputs")
	}
	dir := t.TempDir()
	var names []string
	for name, pkl := range hostileInputs() {
		path := filepath.Join(dir, name+".ckpt")
		if err := os.WriteFile(path, buildZip(t, zipEntry{Name: "archive/data.pkl", Data: pkl}), 0o644); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestHostileMemoryChild$", "-test.v")
			cmd.Env = append(os.Environ(), "CKPT_MEMORY_CHILD="+filepath.Join(dir, name+".ckpt"))
			out, err := cmd.CombinedOutput()
			t.Logf("%s", bytes.TrimSpace(out))
			if err != nil {
				t.Fatalf("child: %v", err)
			}
			if !strings.Contains(string(out), "--- PASS: TestHostileMemoryChild") {
				t.Fatal("child did not run")
			}
		})
	}
}

// TestHostileMemoryChild is TestHostileMemory's child: it opens one file
// under a soft memory limit and checks the growth of its own peak RSS.
func TestHostileMemoryChild(t *testing.T) {
	path := os.Getenv("CKPT_MEMORY_CHILD")
	if path == "" {
		t.Skip("run by TestHostileMemory")
	}
	debug.SetMemoryLimit(hostileMemoryLimit / 2) // the GC works hard; what stays is what was needed
	runtime.GC()
	before := maxRSS(t)
	r, err := Open(path)
	after := maxRSS(t)
	switch {
	case err == nil:
		t.Logf("read: %d globals", len(r.Globals))
	case errors.Is(err, ErrFormat):
		t.Logf("refused: %v", err)
	default:
		t.Fatalf("untyped error: %v", err)
	}
	growth := after - before
	t.Logf("peak RSS %d MiB -> %d MiB (+%d MiB)", before>>20, after>>20, growth>>20)
	if growth > hostileMemoryLimit {
		t.Errorf("opening %s grew peak memory by %d MiB, limit %d MiB", filepath.Base(path), growth>>20, hostileMemoryLimit>>20)
	}
	runtime.KeepAlive(r)
}

// maxRSS is the process's peak resident set (VmHWM of /proc/self/status).
func maxRSS(t *testing.T) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/self/status")
	return 0
}
