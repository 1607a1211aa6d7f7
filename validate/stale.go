package validate

import (
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/ckptmeta/ckptmeta/internal/ckpt"
)

// fingerprintPointer is where the document keeps its checkpoint fingerprint (1.1 and 2.0).
func fingerprintPointer(doc *Document) string {
	if m, ok := doc.Value.(map[string]any); ok {
		if c, ok := m["checkpoint"].(map[string]any); ok {
			if _, ok := c["fingerprint"]; ok {
				return "/checkpoint/fingerprint"
			}
		}
	}
	return "/checkpoint_fingerprint"
}

// Recorded reads the checkpoint fingerprint a sidecar recorded (1.1: checkpoint_fingerprint,
// 2.0: checkpoint.fingerprint). ok is false when it has none.
func Recorded(doc *Document) (fp ckpt.Fingerprint, ok bool) {
	m, _ := doc.Value.(map[string]any)
	raw, _ := m["checkpoint_fingerprint"].(map[string]any)
	if c, isMap := m["checkpoint"].(map[string]any); isMap && raw == nil {
		raw, _ = c["fingerprint"].(map[string]any)
	}
	if raw == nil {
		return fp, false
	}
	size, okSize := Number(raw["size"])
	mtime, okTime := raw["mtime"].(string)
	sum, okSum := raw["data_pkl_sha256"].(string)
	if !okSize || !okTime || !okSum {
		return fp, false
	}
	t, err := time.Parse(time.RFC3339Nano, mtime)
	if err != nil {
		return fp, false
	}
	return ckpt.Fingerprint{Size: int64(size), ModTime: t, PickleSHA256: sum}, true
}

// notRegular says what a non-regular checkpoint is, wrapping ErrNotRegular.
func notRegular(m fs.FileMode) error {
	what := "a device"
	switch {
	case m.IsDir():
		what = "a directory"
	case m&fs.ModeNamedPipe != 0:
		what = "a FIFO"
	case m&fs.ModeSocket != 0:
		what = "a socket"
	case m&fs.ModeCharDevice != 0:
		what = "a character device"
	}
	return fmt.Errorf("%w (%s)", ErrNotRegular, what)
}

// Stale reports whether the checkpoint at ckptPath changed since doc recorded its
// fingerprint. Size and modification time are compared first; only when either differs is
// the checkpoint's pickle hashed, so touching or copying a checkpoint does not make its
// sidecar stale. A document without a fingerprint is never stale (1.0 cannot tell).
// A checkpoint that is not a regular file is never opened: the error wraps ErrNotRegular.
func Stale(doc *Document, ckptPath string) (stale bool, reason string, err error) {
	want, ok := Recorded(doc)
	if !ok {
		return false, "", nil
	}
	return staleAgainst(want, ckptPath)
}

// staleAgainst is Stale for a recorded fingerprint.
func staleAgainst(want ckpt.Fingerprint, ckptPath string) (stale bool, reason string, err error) {
	info, err := os.Stat(ckptPath)
	if err != nil {
		return false, "", err
	}
	if !info.Mode().IsRegular() {
		// Never open a device, FIFO or socket: /dev/zero never ends, a FIFO blocks.
		return false, "", &fs.PathError{Op: "fingerprint", Path: ckptPath, Err: notRegular(info.Mode())}
	}
	if info.Size() == want.Size && info.ModTime().Equal(want.ModTime) {
		return false, "", nil
	}
	got, err := ckpt.FingerprintFile(ckptPath)
	if err != nil {
		return false, "", err
	}
	if got.PickleSHA256 == want.PickleSHA256 {
		return false, "", nil
	}
	return true, fmt.Sprintf("pickle hash %.12s… is now %.12s…", want.PickleSHA256, got.PickleSHA256), nil
}
