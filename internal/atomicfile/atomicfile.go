package atomicfile

import (
	"os"
	"path/filepath"
)

// How says what Write does with a destination that exists.
type How int

const (
	// Replace puts the new file in place of the old one.
	Replace How = iota
	// Create keeps an existing file and returns ErrExists.
	Create
)

// Mode is the mode of every file Write makes.
const Mode os.FileMode = 0o600

// dirMode is the mode of a folder Write makes.
const dirMode os.FileMode = 0o700

// Write writes path through fill (see the package's contracts).
func Write(path string, how How, fill func(*os.File) error) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".new-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // once renamed or linked: gone, or a second name
	err = tmp.Chmod(Mode)
	if err == nil {
		err = fill(tmp)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if how == Create {
		err = os.Link(tmp.Name(), path)
	} else {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return err
	}
	return SyncDir(dir)
}

// WriteBytes writes data to path (see Write).
func WriteBytes(path string, how How, data []byte) error {
	return Write(path, how, func(f *os.File) error {
		_, err := f.Write(data)
		return err
	})
}
