package testenv

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recorder is a testing.TB that records Skip/Fatal instead of stopping the goroutine.
type recorder struct {
	testing.TB
	skipped, fatal string
}

func (r *recorder) Helper()           {}
func (r *recorder) Skip(args ...any)  { r.skipped = args[0].(string) }
func (r *recorder) Fatal(args ...any) { r.fatal = args[0].(string) }

func TestUnavailableSkipsLocallyAndFailsInCI(t *testing.T) {
	tests := []struct {
		ci        string
		wantSkip  bool
		wantFatal bool
	}{
		{"", true, false},
		{"false", true, false},
		{"true", false, true},
	}
	for _, tc := range tests {
		t.Run("CI="+tc.ci, func(t *testing.T) {
			t.Setenv("CI", tc.ci)
			r := &recorder{TB: t}
			unavailable(r, ErrUnavailable)
			msg := r.skipped + r.fatal
			assert.Equal(t, tc.wantSkip, r.skipped != "")
			assert.Equal(t, tc.wantFatal, r.fatal != "")
			assert.Contains(t, msg, "make testenv-up", "says how to get the environment")
			assert.Contains(t, msg, "make e2e")
		})
	}
}

func TestRequireSkipsWithoutEnvironment(t *testing.T) {
	t.Setenv("CI", "")
	t.Setenv("GANTRY_TESTENV", filepath.Join(t.TempDir(), "env"))
	var sub *testing.T
	t.Run("inner", func(t *testing.T) {
		sub = t
		Require(t)
		t.Error("Require returned without an environment")
	})
	assert.True(t, sub.Skipped())
}

func TestRequireSkipsWhenNotReachable(t *testing.T) {
	t.Setenv("CI", "")
	dir := t.TempDir()
	// Ports that were just free: nothing listens on them.
	vars := validVars(dir)
	vars["GANTRY_TESTENV_SSH_PORT"] = strconv.Itoa(closedPort(t))
	vars["GANTRY_TESTENV_APISERVER"] = "https://127.0.0.1:" + strconv.Itoa(closedPort(t))
	t.Setenv("GANTRY_TESTENV", writeEnvFile(t, vars, ""))
	var sub *testing.T
	t.Run("inner", func(t *testing.T) {
		sub = t
		Require(t)
		t.Error("Require returned for an environment that is not running")
	})
	assert.True(t, sub.Skipped())
}

func TestRequireReturnsReachableEnvironment(t *testing.T) {
	dir := t.TempDir()
	ssh, api := listen(t), listen(t)
	vars := validVars(dir)
	vars["GANTRY_TESTENV_SSH_PORT"] = strconv.Itoa(ssh)
	vars["GANTRY_TESTENV_APISERVER"] = "https://127.0.0.1:" + strconv.Itoa(api)
	t.Setenv("GANTRY_TESTENV", writeEnvFile(t, vars, ""))

	e := Require(t)
	require.NotNil(t, e)
	assert.Equal(t, ssh, e.SSHPort)
	assert.ErrorIs(t, e.StopSSHD(), ErrNotExclusive, "a shared Env cannot stop components")
	assert.ErrorIs(t, e.StartAPIServer(), ErrNotExclusive)
	_, err := os.Stat(filepath.Join(dir, "lock"))
	assert.NoError(t, err, "Require takes the lock in the state dir")
}

func TestLockSharedAndExclusive(t *testing.T) {
	p := filepath.Join(t.TempDir(), "lock")
	un1, err := lockEnv(p, false, time.Second)
	require.NoError(t, err)
	un2, err := lockEnv(p, false, time.Second)
	require.NoError(t, err, "shared locks coexist")

	_, err = lockEnv(p, true, 200*time.Millisecond)
	require.Error(t, err, "exclusive waits for shared holders")
	assert.Contains(t, err.Error(), "not obtained in time")

	un1()
	un2()
	unx, err := lockEnv(p, true, time.Second)
	require.NoError(t, err)
	_, err = lockEnv(p, false, 200*time.Millisecond)
	require.Error(t, err, "shared waits for the exclusive holder")

	done := make(chan error, 1)
	go func() {
		un, err := lockEnv(p, false, 5*time.Second)
		if err == nil {
			un()
		}
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	unx()
	require.NoError(t, <-done, "a waiting shared lock is granted once the exclusive one is released")
}

func TestLockWaitingExclusiveGoesFirst(t *testing.T) {
	p := filepath.Join(t.TempDir(), "lock")
	shared, err := lockEnv(p, false, time.Second)
	require.NoError(t, err)

	got := make(chan error, 1)
	go func() { // an exclusive request queues behind the shared holder
		un, err := lockEnv(p, true, 5*time.Second)
		if err == nil {
			time.Sleep(300 * time.Millisecond)
			un()
		}
		got <- err
	}()
	time.Sleep(100 * time.Millisecond)
	_, err = lockEnv(p, false, 100*time.Millisecond)
	require.Error(t, err, "a new shared request waits behind the queued exclusive one")

	shared()
	require.NoError(t, <-got)
	un, err := lockEnv(p, false, time.Second)
	require.NoError(t, err, "shared is granted again after the exclusive holder is done")
	un()
}

func TestLockMissingDirIsUnavailable(t *testing.T) {
	_, err := lockEnv(filepath.Join(t.TempDir(), "gone", "lock"), false, time.Second)
	require.ErrorIs(t, err, ErrUnavailable)
}

// listen opens a TCP listener on a free loopback port for the test's duration.
func listen(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	return l.Addr().(*net.TCPAddr).Port
}

// closedPort returns a loopback port nothing listens on (free a moment ago).
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	return p
}

func TestNoRealNodeSkipsOnlyWhenOptedOut(t *testing.T) {
	tests := []struct {
		name      string
		vars      map[string]string
		wantSkip  bool
		wantFatal bool
	}{
		{"started without it", map[string]string{keyRealNodeOff: "1"}, true, false},
		{"env file says nothing", map[string]string{}, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("CI", "true")
			r := &recorder{TB: t}
			noRealNode(r, &Env{File: "/x/env", Dir: "/x", Vars: tc.vars})
			assert.Equal(t, tc.wantSkip, r.skipped != "", "skipped: %q", r.skipped)
			assert.Equal(t, tc.wantFatal, r.fatal != "", "fatal: %q", r.fatal)
			assert.Contains(t, r.skipped+r.fatal, ErrNoRealNode.Error())
		})
	}
}
