package testenv

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// lockWait bounds how long Require waits for a test holding the environment exclusively.
const lockWait = 5 * time.Minute

// Require returns the running test environment for a test that uses it without changing
// its shape (it may create and delete its own objects). Many such tests, also from other
// packages' test binaries, run at the same time; they wait while a RequireExclusive test
// holds the environment.
//
// When no environment is reachable the test is skipped with a message saying how to start
// one, or fails when CI=true.
func Require(t testing.TB) *Env {
	t.Helper()
	return acquire(t, false)
}

// RequireExclusive is Require for a test that stops and restarts components (StopSSHD,
// StopAPIServer, ...) or changes cluster-wide state others could see (node labels). It
// waits until no other test holds the environment and keeps it until the test ends; at
// cleanup, components it left stopped are started again.
func RequireExclusive(t testing.TB) *Env {
	t.Helper()
	return acquire(t, true)
}

func acquire(t testing.TB, exclusive bool) *Env {
	t.Helper()
	e, err := Load(EnvFilePath())
	if err != nil {
		unavailable(t, err)
		return nil
	}
	unlock, err := lockEnv(filepath.Join(e.Dir, "lock"), exclusive, lockWait)
	if err != nil {
		if errors.Is(err, ErrUnavailable) {
			unavailable(t, err)
			return nil
		}
		t.Fatalf("testenv: %v", err)
		return nil
	}
	t.Cleanup(unlock)
	e.exclusive = exclusive
	if exclusive {
		// Registered after unlock, so it runs before it (cleanups run last-in first-out).
		t.Cleanup(func() {
			if err := e.restoreStopped(); err != nil {
				t.Errorf("testenv: restoring components: %v", err)
			}
		})
	}
	if err := e.reachable(); err != nil {
		unavailable(t, err)
		return nil
	}
	return e
}

// reachable checks that the SSH server and the API server accept TCP connections.
func (e *Env) reachable() error {
	u, err := url.Parse(e.APIServer)
	if err != nil {
		return fmt.Errorf("env file %s: bad GANTRY_TESTENV_APISERVER %q: %w", e.File, e.APIServer, err)
	}
	for _, addr := range []string{e.SSHAddr(), u.Host} {
		c, err := net.DialTimeout("tcp", addr, 3*time.Second)
		if err != nil {
			return fmt.Errorf("%w: %s from %s is not reachable (stale env file?): %v", ErrUnavailable, addr, e.File, err)
		}
		_ = c.Close()
	}
	return nil
}

// unavailable skips the test with instructions, or fails it when CI=true.
func unavailable(t testing.TB, err error) {
	t.Helper()
	msg := fmt.Sprintf("testenv: %v\n"+
		"  start it with `make testenv-up` (first build 5-16 min, then seconds) and run\n"+
		"    GANTRY_TESTENV=%s go test -tags e2e -run 'TestName' ./pkg/\n"+
		"  or run every e2e test with `make e2e`; stop it with `make testenv-down`", err, EnvFilePath())
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + "\n  (CI=true: a missing test environment is a failure, not a skip)")
		return
	}
	t.Skip(msg)
}
