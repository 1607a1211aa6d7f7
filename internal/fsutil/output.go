package fsutil

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// Pending is a file being written to replace name: its bytes go to a temp file beside name,
// and [Pending.Commit] makes them durable and renames them over it, so a reader (say
// node_exporter's textfile collector) sees the old file or the whole new one, never part.
type Pending struct {
	f        *os.File
	d        *os.Root
	tmp      string
	base     string
	finished bool
}

// Create starts replacing name. A symlink at name is followed (as os.Create would): the file
// it names is replaced and the link stays. An existing file keeps its mode (and owner, as
// root); a new one gets 0666 less the umask, as os.Create gives. Errors are *fs.PathError
// with Op "open", naming name.
func Create(name string) (*Pending, error) {
	real := name
	if li, err := os.Lstat(name); err == nil && li.Mode()&fs.ModeSymlink != 0 {
		if r, err := filepath.EvalSymlinks(name); err == nil {
			real = r
		}
	}
	d, err := os.OpenRoot(filepath.Dir(real))
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: unwrapPath(err)}
	}
	base := filepath.Base(real)
	perm, owner := os.FileMode(0o666), stamp{}
	if cur, err := d.Stat(base); err == nil {
		if cur.IsDir() {
			d.Close()
			return nil, &fs.PathError{Op: "open", Path: name, Err: errors.New("is a directory")}
		}
		perm, owner = cur.Mode().Perm(), stampOf(cur)
	}
	f, tmp, err := createTemp(d, base, perm) // a new file's mode comes from the umask
	if err == nil && owner.owned {
		if err = keepOwner(f, owner); err == nil {
			err = f.Chmod(perm)
		}
		if err != nil {
			f.Close()
			d.Remove(tmp)
		}
	}
	if err != nil {
		d.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: unwrapPath(err)}
	}
	return &Pending{f: f, d: d, tmp: tmp, base: base}, nil
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Write appends to the pending file.
func (p *Pending) Write(b []byte) (int, error) { return p.f.Write(b) }

// Commit makes the written bytes durable and puts them in place. A full disk shows up here.
func (p *Pending) Commit() error {
	if p.finished {
		return errors.New("fsutil: pending file already finished")
	}
	p.finished = true
	defer p.d.Close()
	err := p.f.Sync()
	if cerr := p.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = p.d.Rename(p.tmp, p.base)
	}
	if err != nil {
		p.d.Remove(p.tmp)
		return err
	}
	dir, err := p.d.Open(".")
	if err != nil {
		return err
	}
	defer dir.Close()
	return syncDir(dir)
}

// Close abandons an uncommitted pending file (its temp file is removed); after Commit it
// does nothing. It is safe to defer.
func (p *Pending) Close() error {
	if p.finished {
		return nil
	}
	p.finished = true
	p.f.Close()
	err := p.d.Remove(p.tmp)
	p.d.Close()
	return err
}
