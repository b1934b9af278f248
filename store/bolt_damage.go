package store

import (
	"errors"
	"fmt"
	"github.com/gantryhq/gantry/internal/atomicfile"
	"os"
	"path/filepath"
	"runtime/debug"

	bolt "go.etcd.io/bbolt"
)

// damagedError is the one error a damaged store file gives.
func damagedError(path, what string) error {
	return fmt.Errorf("%w: %s: %s (%s)", ErrDamaged, path, what, RestoreHint(path))
}

// RestoreHint tells how to restore the damaged store file at path.
func RestoreHint(path string) string {
	return "restore from backup: stop every gantry using it, move it aside, and copy a backup made with `gantry store backup FILE` to " + path
}

// fileDamaged is the ErrDamaged of a file whose structure is broken (as
// opposed to one undecodable record): the store refuses every further
// operation on it.
type fileDamaged struct{ err error }

func (e *fileDamaged) Error() string { return e.err.Error() }
func (e *fileDamaged) Unwrap() error { return e.err }

// damagedProblems is the error for the problems verifyFile found.
func damagedProblems(path string, problems []string) error {
	what := problems[0]
	if len(problems) > 1 {
		what = fmt.Sprintf("%s (and %d more problem(s); see `gantry store check`)", what, len(problems)-1)
	}
	return &fileDamaged{damagedError(path, what)}
}

// guard runs fn, which reads the file through bbolt. bbolt trusts the file:
// damage can make it panic or fault on its memory map. guard turns both
// into ErrDamaged; a panic in a file that verifies clean is a bug, and
// panics on.
func guard(path string, fn func() error) (err error) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		r := recover()
		if r == nil {
			return
		}
		problems, verr := verifyFile(path)
		switch {
		case verr != nil:
			err = damagedProblems(path, []string{fmt.Sprintf("unreadable (%v) after bbolt failed (%v)", verr, r)})
		case len(problems) == 0:
			panic(r)
		default:
			err = damagedProblems(path, problems)
		}
	}()
	return fn()
}

// verified returns nil if the file at path is structurally sound, else
// its ErrDamaged.
func verified(path string) error {
	problems, err := verifyFile(path)
	if err != nil {
		return fmt.Errorf("verify store %s: %w", path, err)
	}
	if len(problems) > 0 {
		return damagedProblems(path, problems)
	}
	return nil
}

// openExisting is bbolt's OpenFile for the store: it never creates the
// file (a store is created once, whole, by createStore), and refuses an
// empty one, which bbolt would silently initialise as a new store. opened
// receives the file so that a panic in bolt.Open can still close it.
func openExisting(opened **os.File) func(string, int, os.FileMode) (*os.File, error) {
	return func(name string, flag int, perm os.FileMode) (*os.File, error) {
		f, err := os.OpenFile(name, flag&^os.O_CREATE, perm)
		if err != nil {
			return nil, err
		}
		if fi, err := f.Stat(); err == nil && fi.Size() == 0 {
			_ = f.Close()
			return nil, damagedProblems(name, []string{emptyFile})
		}
		*opened = f
		return f, nil
	}
}

// boltOpenError maps an error of bolt.Open: bbolt's own complaints about
// the file (bad magic, version, checksum) are damage.
func boltOpenError(path string, err error) error {
	if errors.Is(err, ErrDamaged) {
		return err
	}
	if problems, verr := verifyFile(path); verr == nil && len(problems) > 0 {
		return damagedProblems(path, problems)
	}
	return fmt.Errorf("open store %s: %w", path, err)
}

// createStore makes a new, initialised store file at path, atomically: it
// is built under a temporary name and linked into place, so that no
// process ever sees a half-made (e.g. empty) store. If another process
// created the file meanwhile, that one is kept.
func createStore(path string, opts Options) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".new-*")
	if err != nil {
		return fmt.Errorf("create store %s: %w", path, err)
	}
	name := tmp.Name()
	_ = tmp.Close()
	defer os.Remove(name)
	db, err := bolt.Open(name, 0o600, &bolt.Options{NoSync: opts.NoSync})
	if err != nil {
		return fmt.Errorf("create store %s: %w", path, err)
	}
	err = db.Update(initSchema)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(name, 0o600)
	}
	if err == nil {
		if err = os.Link(name, path); errors.Is(err, os.ErrExist) {
			err = nil
		}
	}
	if err != nil {
		return fmt.Errorf("create store %s: %w", path, err)
	}
	return atomicfile.SyncDir(filepath.Dir(path))
}
