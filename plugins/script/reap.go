package script

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Every running script's process group is recorded in Config.ProcessDir,
// one file per group: <ProcessDir>/<execution id>/<pgid>, holding the group
// leader's start time (so a recycled pid is never mistaken for it). The
// file is removed when the script ends. After a crash, Reap kills whatever
// is left of an execution's groups before the execution is resumed, so a
// re-run operation never overlaps its previous run.

// reapWait bounds how long Reap waits for a killed group to disappear.
const reapWait = 5 * time.Second

func (p *Plugin) execDir(executionID string) string {
	return filepath.Join(p.cfg.ProcessDir, url.PathEscape(executionID))
}

// record notes a started script's process group; it returns the function
// that forgets it. Without a ProcessDir nothing is recorded.
func (p *Plugin) record(executionID string, pgid int) (forget func(), err error) {
	if p.cfg.ProcessDir == "" {
		return func() {}, nil
	}
	start, ok := procStart(pgid)
	if !ok {
		return func() {}, nil
	}
	dir := p.execDir(executionID)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("record script process group: %w", err)
	}
	file := filepath.Join(dir, strconv.Itoa(pgid))
	if err := os.WriteFile(file, []byte(strconv.FormatUint(start, 10)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("record script process group: %w", err)
	}
	return func() { _ = os.Remove(file) }, nil
}

// Reap makes sure no script process group recorded for the execution is
// left: it kills each one still there (SIGKILL to the group) and waits for
// it to be gone. Call it before resuming an execution whose gantry died.
func (p *Plugin) Reap(executionID string) error {
	if p.cfg.ProcessDir == "" {
		return nil
	}
	dir := p.execDir(executionID)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reap scripts of execution %s: %w", executionID, err)
	}
	var errs []error
	for _, e := range entries {
		pgid, err := strconv.Atoi(e.Name())
		if err != nil || pgid <= 1 {
			continue
		}
		file := filepath.Join(dir, e.Name())
		b, err := os.ReadFile(file)
		if errors.Is(err, os.ErrNotExist) {
			continue // its script ended and forgot it since ReadDir
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		want, _ := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
		if err := reapGroup(pgid, want); err != nil {
			errs = append(errs, fmt.Errorf("execution %s: %w", executionID, err))
			continue
		}
		_ = os.Remove(file)
	}
	if len(errs) == 0 {
		_ = os.Remove(dir)
	}
	return errors.Join(errs...)
}

// reapGroup kills process group pgid unless its leader's pid now belongs to
// another process (start time differs), and waits until the group is gone.
// A group whose leader died keeps its id reserved while members live, so
// killing it then is safe.
func reapGroup(pgid int, leaderStart uint64) error {
	if start, alive := procStart(pgid); alive && start != leaderStart {
		return nil // the pid was recycled: not ours
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	deadline := time.Now().Add(reapWait)
	for groupAlive(pgid) {
		if time.Now().After(deadline) {
			return fmt.Errorf("script process group %d still there %s after SIGKILL", pgid, reapWait)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}
