package ckpt

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ckptmeta/ckptmeta/internal/fsutil"
)

const (
	// maxPickleSize bounds data.pkl (or the legacy header pickles together). A
	// 20,000-tensor checkpoint's pickle is 2 MB; with the pre-scan's budgets
	// this keeps any single input under about 64 MB of memory.
	maxPickleSize  = 16 << 20
	maxScalarReads = 256 // scalar tensors resolved per checkpoint
	maxScalarBytes = 16  // largest storage a resolved scalar may live in
)

// maxDirectory caps the bytes read while parsing the zip central directory:
// archive/zip keeps every entry in memory. A variable so tests can lower it.
var maxDirectory int64 = 32 << 20

// legacyMagic is torch's MAGIC_NUMBER, the first pickle of a legacy file.
var legacyMagic, _ = new(big.Int).SetString("1950a86a20f9469cfc6c", 16)

// Reader is a decoded checkpoint. It holds no open file: everything it
// offers was read by [NewReader] or [Open].
type Reader struct {
	Name   string
	Format Format
	Root   any // the decoded object; see the package documentation for its values

	Globals   []Global // every global the pickle references, canonical, sorted, unique
	Dangerous []Global // the subset [Classify] calls [Dangerous]; reported, never called
	Unknown   []Global // the subset [Classify] calls [Unknown]: inert here, not weights_only-loadable

	PickleSize   int64  // bytes of data.pkl (zip) or of the pickle stream before the storages (legacy)
	PickleSHA256 string // lowercase hex sha256 of those bytes
	BytesRead    int64  // bytes read from the source while opening
	ArchiveRoot  string // zip root folder ("archive", "best", …); empty for legacy

	storages map[string]*storageRef
}

// countingReaderAt counts the bytes read through it.
type countingReaderAt struct {
	r     io.ReaderAt
	n     int64
	limit int64 // if > 0, reads that would take n past limit fail
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if c.limit > 0 && c.n+int64(len(p)) > c.limit {
		return 0, limitErr("zip central directory larger than %d bytes", maxDirectory)
	}
	n, err := c.r.ReadAt(p, off)
	c.n += int64(n)
	return n, err
}

// located is a checkpoint whose pickle bytes have been found and pre-scanned
// but not yet decoded.
type located struct {
	format   Format
	root     string
	pkl      []byte // bytes hashed for PickleSHA256
	globals  []Global
	record   string // name of the pickle record for errors
	zipFiles map[string]*zip.File
	byteRec  *zip.File
	// legacy: offsets into pkl of the five pickles
	legacy [5][2]int
}

// NewReader decodes the checkpoint in r (size bytes). name is used in
// errors and [Reader.Name] only. It reads the zip directory (or legacy
// headers), the object pickle and at most [maxScalarReads] small scalar
// storages; never any other tensor data.
func NewReader(r io.ReaderAt, size int64, name string) (*Reader, error) {
	cr := &countingReaderAt{r: r}
	loc, err := locate(cr, size, name)
	if err != nil {
		return nil, err
	}
	rd := &Reader{Name: name, Format: loc.format, ArchiveRoot: loc.root, PickleSize: int64(len(loc.pkl))}
	sum := sha256.Sum256(loc.pkl)
	rd.PickleSHA256 = hex.EncodeToString(sum[:])

	d := newDecoder()
	var obj any
	var order binary.ByteOrder = binary.LittleEndian
	var storageOff map[string]int64
	switch loc.format {
	case FormatZip:
		obj, err = d.decodePickle(loc.pkl)
		if err != nil {
			return nil, formatErr(name, loc.record, -1, err)
		}
	case FormatLegacy:
		pk := func(i int) []byte { return loc.pkl[loc.legacy[i][0]:loc.legacy[i][1]] }
		sys, err := d.decodePickle(pk(2))
		if err != nil {
			return nil, formatErr(name, "legacy sys_info", int64(loc.legacy[2][0]), err)
		}
		if le, ok := stateGet(sys, "little_endian"); ok {
			if b, ok := le.(bool); ok && !b {
				order = binary.BigEndian
			}
		}
		obj, err = d.decodePickle(pk(3))
		if err != nil {
			return nil, formatErr(name, loc.record, int64(loc.legacy[3][0]), err)
		}
		keys, err := d.decodePickle(pk(4))
		if err != nil {
			return nil, formatErr(name, "legacy storage keys", int64(loc.legacy[4][0]), err)
		}
		var end int64
		storageOff, end = legacyOffsets(keys, d.storages, int64(loc.legacy[4][1]))
		if end > size {
			// The storages the pickle declares do not fit: a copy in progress.
			return nil, formatErr(name, "legacy storages", -1, fmt.Errorf("%w: storages need %d bytes, file has %d", ErrTruncated, end, size))
		}
	}

	conv := newConverter()
	rd.Root, err = conv.root(obj)
	if err != nil {
		return nil, formatErr(name, loc.record, -1, err)
	}
	rd.storages = d.storages

	seen := map[Global]bool{}
	for _, g := range loc.globals {
		seen[canonical(g)] = true
	}
	for g := range d.globals {
		seen[g] = true
	}
	for g := range seen {
		rd.Globals = append(rd.Globals, g)
		verdict := Classify(g)
		if g.String() == getattrName && !d.getattrBad && !conv.getattrAsData {
			verdict = Unknown // only enum-member reads, each judged as its dotted global
		}
		switch verdict {
		case Dangerous:
			rd.Dangerous = append(rd.Dangerous, g)
		case Unknown:
			rd.Unknown = append(rd.Unknown, g)
		}
	}
	sortGlobals(rd.Globals)
	sortGlobals(rd.Dangerous)
	sortGlobals(rd.Unknown)

	// Resolve small scalar tensors (metrics, best_model_score, …).
	reads := 0
	for _, t := range conv.scalars {
		if reads >= maxScalarReads {
			break
		}
		st := d.storages[t.Storage]
		if st == nil || st.Numel*int64(st.ElemSize) > maxScalarBytes || t.Offset >= st.Numel || st.ElemSize == 0 {
			continue
		}
		if scalarSizes[t.DType] != st.ElemSize {
			continue // complex, quantized, …
		}
		reads++
		var b []byte
		switch loc.format {
		case FormatZip:
			if loc.byteRec != nil && reads == 1 {
				order = readByteOrder(loc.byteRec)
			}
			b = zipScalar(cr, loc.zipFiles[t.Storage], t.Offset*int64(st.ElemSize), st.ElemSize)
		case FormatLegacy:
			b = legacyScalar(cr, storageOff, st, t.Offset)
		}
		if b != nil {
			t.Value, _ = decodeScalar(t.DType, b, order)
		}
	}
	rd.BytesRead = cr.n
	return rd, nil
}

func sortGlobals(gs []Global) {
	sort.Slice(gs, func(i, j int) bool {
		if gs[i].Module != gs[j].Module {
			return gs[i].Module < gs[j].Module
		}
		return gs[i].Name < gs[j].Name
	})
}

// Open reads the checkpoint at path and closes the file before returning.
// A directory is reported as an [*UnsupportedError] ("sharded" when it holds
// meta.pt or DCP .metadata, else "directory").
func Open(path string) (*Reader, error) {
	f, size, err := openFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return NewReader(f, size, path)
}

// openFile opens a checkpoint like the sidecar reader opens a sidecar: the open never
// blocks (a FIFO named X.ckpt is refused, not waited on) and only regular files are read.
func openFile(path string) (*os.File, int64, error) {
	f, info, err := fsutil.OpenRegular(path)
	if errors.Is(err, fsutil.ErrNotRegular) {
		if st, serr := os.Stat(path); serr == nil && st.IsDir() {
			return nil, 0, dirError(path)
		}
	}
	if err != nil {
		return nil, 0, fmt.Errorf("ckpt: %w", err)
	}
	return f, info.Size(), nil
}

func dirError(path string) error {
	for _, marker := range []string{"meta.pt", ".metadata", "latest"} {
		if _, err := os.Stat(filepath.Join(path, marker)); err == nil {
			return &UnsupportedError{Name: path, Kind: "sharded", Detail: "directory with " + marker}
		}
	}
	return &UnsupportedError{Name: path, Kind: "directory"}
}

// Lookup walks Root by map keys, list indexes (decimal) and the Items (then
// State) of an *Object.
func (r *Reader) Lookup(path ...string) (any, bool) {
	v := r.Root
	for _, p := range path {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[p]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		case *Object:
			if e, ok := x.Items[p]; ok {
				v = e
			} else if m, ok := x.State.(map[string]any); ok {
				if v, ok = m[p]; !ok {
					return nil, false
				}
			} else {
				return nil, false
			}
		default:
			return nil, false
		}
	}
	return v, true
}

// Fingerprint identifies a checkpoint's content cheaply.
type Fingerprint struct {
	Size         int64
	ModTime      time.Time
	PickleSHA256 string
}

// FingerprintFile stats path and hashes its pickle bytes (data.pkl, or the
// legacy header pickles). It neither decodes the pickle nor reads tensors.
func FingerprintFile(path string) (Fingerprint, error) {
	f, size, err := openFile(path)
	if err != nil {
		return Fingerprint{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Fingerprint{}, fmt.Errorf("ckpt: %w", err)
	}
	loc, err := locate(&countingReaderAt{r: f}, size, path)
	if err != nil {
		return Fingerprint{}, err
	}
	sum := sha256.Sum256(loc.pkl)
	return Fingerprint{Size: size, ModTime: st.ModTime(), PickleSHA256: hex.EncodeToString(sum[:])}, nil
}

// locate sniffs the format and returns the pre-scanned pickle bytes.
func locate(cr *countingReaderAt, size int64, name string) (*located, error) {
	if size <= 0 {
		return nil, formatErr(name, "", -1, fmt.Errorf("%w: empty file", ErrTruncated))
	}
	head := make([]byte, min(size, 512))
	if _, err := cr.ReadAt(head, 0); err != nil && !(errors.Is(err, io.EOF) && int64(len(head)) == size) {
		return nil, ioErr(name, err)
	}
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return locateZip(cr, size, name)
	case len(head) >= 262 && string(head[257:262]) == "ustar":
		return nil, &UnsupportedError{Name: name, Kind: "tar", Detail: "torch < 0.4 tar checkpoint"}
	case bytes.HasPrefix(head, []byte("PK")):
		return nil, formatErr(name, "", -1, fmt.Errorf("%w: zip without local file header", ErrFormat))
	}
	return locateLegacy(cr, size, name, head)
}

func ioErr(name string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return formatErr(name, "", -1, fmt.Errorf("%w: %v", ErrTruncated, err))
	}
	return fmt.Errorf("ckpt: %s: %w", name, err)
}

func locateZip(cr *countingReaderAt, size int64, name string) (*located, error) {
	cr.limit = cr.n + maxDirectory + 128<<10
	zr, err := zip.NewReader(cr, size)
	cr.limit = 0
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		if errors.Is(err, ErrLimit) {
			return nil, formatErr(name, "zip", -1, err)
		}
		if errors.Is(err, zip.ErrFormat) && !hasEOCD(cr, size) {
			return nil, formatErr(name, "zip", -1, fmt.Errorf("%w: no end of central directory", ErrTruncated))
		}
		if errors.Is(err, zip.ErrFormat) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, formatErr(name, "zip", -1, err)
		}
		return nil, ioErr(name, err)
	}
	if len(zr.File) == 0 {
		return nil, formatErr(name, "zip", -1, fmt.Errorf("%w: empty archive", ErrFormat))
	}
	first := zr.File[0].Name
	slash := strings.IndexByte(first, '/')
	if slash <= 0 {
		return nil, formatErr(name, "zip", -1, fmt.Errorf("%w: entry %q is not inside a root folder", ErrFormat, clip(first)))
	}
	root := first[:slash]
	loc := &located{format: FormatZip, root: root, record: root + "/data.pkl", zipFiles: map[string]*zip.File{}}
	seen := make(map[string]bool, len(zr.File))
	var pklFile *zip.File
	torchscript := false
	for _, f := range zr.File {
		if seen[f.Name] {
			return nil, formatErr(name, "zip", -1, fmt.Errorf("%w: duplicate entry %q", ErrFormat, clip(f.Name)))
		}
		seen[f.Name] = true
		rel, ok := strings.CutPrefix(f.Name, root+"/")
		if !ok {
			return nil, formatErr(name, "zip", -1, fmt.Errorf("%w: entry %q outside root %q", ErrFormat, clip(f.Name), root))
		}
		switch {
		case rel == "data.pkl":
			pklFile = f
		case rel == "constants.pkl" || strings.HasPrefix(rel, "code/"):
			torchscript = true
		case rel == "byteorder":
			loc.byteRec = f
		case strings.HasPrefix(rel, "data/"):
			loc.zipFiles[rel[len("data/"):]] = f
		}
	}
	if torchscript {
		return nil, &UnsupportedError{Name: name, Kind: "torchscript", Detail: "constants.pkl or code/ in the archive"}
	}
	if pklFile == nil {
		return nil, formatErr(name, "zip", -1, fmt.Errorf("%w: no %s/data.pkl", ErrFormat, root))
	}
	if pklFile.UncompressedSize64 > maxPickleSize {
		return nil, formatErr(name, loc.record, -1, limitErr("data.pkl declares %d bytes (limit %d)", pklFile.UncompressedSize64, maxPickleSize))
	}
	rc, err := pklFile.Open()
	if err != nil {
		return nil, formatErr(name, loc.record, -1, err)
	}
	// Read exactly the declared size (checked above) into one buffer: no
	// doubling growth, and a record longer than it declares is an error.
	pkl := make([]byte, pklFile.UncompressedSize64)
	_, err = io.ReadFull(rc, pkl)
	if err == nil {
		var one [1]byte // reading to EOF also checks the CRC
		if n, rerr := rc.Read(one[:]); n > 0 {
			err = fmt.Errorf("%w: data.pkl longer than it declares", ErrFormat)
		} else if rerr != nil && rerr != io.EOF {
			err = rerr
		}
	}
	rc.Close()
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			err = fmt.Errorf("%w: %v", ErrTruncated, err)
		}
		return nil, formatErr(name, loc.record, -1, err)
	}
	loc.pkl = pkl
	res, err := prescan(pkl, 0, false)
	if err != nil {
		return nil, scanErr(name, loc.record, err, false)
	}
	if res.End != len(pkl) {
		return nil, formatErr(name, loc.record, int64(res.End), fmt.Errorf("%w: data after STOP", ErrFormat))
	}
	loc.globals = res.Globals
	return loc, nil
}

func scanErr(name, record string, err error, truncated bool) error {
	var se *scanError
	if errors.As(err, &se) {
		if se.Short && truncated {
			return formatErr(name, record, int64(se.Off), fmt.Errorf("%w: pickle ends early", ErrTruncated))
		}
		if se.Short {
			return formatErr(name, record, int64(se.Off), fmt.Errorf("declared length or pickle runs past the end of the data"))
		}
		return formatErr(name, record, int64(se.Off), se.Err)
	}
	return formatErr(name, record, -1, err)
}

// hasEOCD reports whether an end-of-central-directory signature exists in
// the last 64 KiB + 22 bytes, where the zip format requires it.
func hasEOCD(cr *countingReaderAt, size int64) bool {
	n := min(size, 65535+22)
	buf := make([]byte, n)
	if _, err := cr.ReadAt(buf, size-n); err != nil && !errors.Is(err, io.EOF) {
		return false
	}
	return bytes.Contains(buf, []byte("PK\x05\x06"))
}

func readByteOrder(f *zip.File) binary.ByteOrder {
	rc, err := f.Open()
	if err != nil {
		return binary.LittleEndian
	}
	defer rc.Close()
	b, _ := io.ReadAll(io.LimitReader(rc, 16))
	if strings.TrimSpace(string(b)) == "big" {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

// zipScalar reads n bytes at off inside a stored (uncompressed) record.
func zipScalar(cr *countingReaderAt, f *zip.File, off int64, n int) []byte {
	if f == nil || f.Method != zip.Store || off < 0 || uint64(off)+uint64(n) > f.UncompressedSize64 {
		return nil
	}
	base, err := f.DataOffset()
	if err != nil {
		return nil
	}
	b := make([]byte, n)
	if _, err := cr.ReadAt(b, base+off); err != nil {
		return nil
	}
	return b
}

// locateLegacy finds the five pickles of a legacy checkpoint: magic,
// protocol version, sys_info, the object, the storage keys. It reads a
// growing window from the start of the file, so bytes read stay O(pickles).
func locateLegacy(cr *countingReaderAt, size int64, name string, head []byte) (*located, error) {
	limit := min(size, int64(maxPickleSize))
	buf := append([]byte(nil), head...)
	want := min(limit, 64<<10)
	for {
		if int64(len(buf)) < want {
			more := make([]byte, want-int64(len(buf)))
			n, err := cr.ReadAt(more, int64(len(buf)))
			buf = append(buf, more[:n]...)
			if err != nil && !errors.Is(err, io.EOF) {
				return nil, ioErr(name, err)
			}
			if n < len(more) {
				limit = int64(len(buf)) // the file is shorter than its size claimed
			}
		}
		loc, err := scanLegacy(buf, name)
		var se *scanError
		if err != nil && errors.As(err, &se) && se.Short {
			switch {
			case int64(len(buf)) < limit:
				want = min(limit, 2*int64(len(buf)))
				continue
			case int64(len(buf)) < size && len(buf) >= maxPickleSize:
				return nil, formatErr(name, "legacy", int64(se.Off), limitErr("legacy pickles larger than %d bytes", maxPickleSize))
			default:
				return nil, formatErr(name, "legacy", int64(se.Off), fmt.Errorf("%w: pickle stream ends early", ErrTruncated))
			}
		}
		if err != nil {
			return nil, err
		}
		return loc, nil
	}
}

func scanLegacy(buf []byte, name string) (*located, error) {
	loc := &located{format: FormatLegacy, record: "legacy object"}
	p := 0
	var all []Global
	for i := 0; i < 5; i++ {
		res, err := prescan(buf, p, i < 2)
		if err != nil {
			var se *scanError
			if i == 0 && errors.As(err, &se) && !se.Short {
				return nil, formatErr(name, "", -1, ErrFormat) // not a pickle, or not a literal
			}
			if i == 0 && errors.As(err, &se) && se.Short && (len(buf) == 0 || buf[0] != opPROTO) {
				return nil, formatErr(name, "", -1, ErrFormat)
			}
			if errors.As(err, &se) && se.Short {
				return nil, err // caller decides between "read more" and truncated
			}
			return nil, scanErr(name, "legacy", err, true)
		}
		loc.legacy[i] = [2]int{p, res.End}
		all = append(all, res.Globals...)
		if i < 2 {
			v, err := newDecoder().decodePickle(buf[p:res.End])
			if err != nil {
				return nil, formatErr(name, "", -1, ErrFormat)
			}
			if i == 0 && !isInt(v, legacyMagic) {
				return nil, formatErr(name, "", -1, ErrFormat)
			}
			if i == 1 && !isInt(v, big.NewInt(1001)) {
				return nil, formatErr(name, "legacy", int64(p), fmt.Errorf("%w: unsupported legacy protocol version", ErrFormat))
			}
		}
		p = res.End
	}
	loc.pkl = buf[:p]
	loc.globals = all
	return loc, nil
}

func isInt(v any, want *big.Int) bool {
	switch x := v.(type) {
	case int:
		return big.NewInt(int64(x)).Cmp(want) == 0
	case *big.Int:
		return x.Cmp(want) == 0
	}
	return false
}

// legacyOffsets computes where each storage's 8-byte count starts. Storages
// follow the pickles in the order of the keys list; each is an 8-byte
// element count and numel*elsize bytes. An unknown size stops the walk; end
// is then 0, else the offset just past the last storage.
func legacyOffsets(keys any, st map[string]*storageRef, start int64) (offs map[string]int64, end int64) {
	offs = map[string]int64{}
	items, ok := iterItems(keys)
	if !ok {
		return offs, 0
	}
	off := start
	for _, k := range items {
		s, ok := k.(string)
		if !ok || st[s] == nil {
			return offs, 0
		}
		offs[s] = off
		n := st[s].Numel * int64(st[s].ElemSize)
		if n < 0 || n > math.MaxInt64/2-off {
			return offs, math.MaxInt64 // cannot fit in any file
		}
		off += 8 + n
	}
	return offs, off
}

func legacyScalar(cr *countingReaderAt, offs map[string]int64, st *storageRef, elem int64) []byte {
	off, ok := offs[st.Key]
	if !ok {
		return nil
	}
	n := int(st.Numel) * st.ElemSize
	b := make([]byte, 8+n)
	if _, err := cr.ReadAt(b, off); err != nil {
		return nil
	}
	if int64(binary.LittleEndian.Uint64(b)) != st.Numel {
		return nil // layout is not what we computed; read nothing into Value
	}
	s := 8 + int(elem)*st.ElemSize
	return b[s : s+st.ElemSize]
}
