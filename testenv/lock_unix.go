//go:build unix

package testenv

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// lockEnv takes a shared or exclusive flock on path, waiting at most wait. Locks belong to
// open files, so tests in one process exclude each other as well as other processes.
//
// A waiting exclusive request goes first: it holds path+".gate" exclusively while it waits,
// and shared requests pass through that gate before taking path. Without the gate, a
// stream of back-to-back shared users (one test after another in other packages) could
// starve it.
func lockEnv(path string, exclusive bool, wait time.Duration) (unlock func(), err error) {
	deadline := time.Now().Add(wait)
	gate, err := flockUntil(path+".gate", exclusive, deadline)
	if err != nil {
		return nil, err
	}
	defer gate()
	return flockUntil(path, exclusive, deadline)
}

// flockUntil opens (creating) path and polls flock on it until deadline.
func flockUntil(path string, exclusive bool, deadline time.Time) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: state dir gone: %v", ErrUnavailable, err)
		}
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	for {
		err = syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			_ = f.Close()
			return nil, fmt.Errorf("lock %s (exclusive=%v) not obtained in time: %w", path, exclusive, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		_ = f.Close()
	}, nil
}
