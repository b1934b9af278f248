package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/gantryhq/gantry/cmd/cli/cmdutil"
	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/testenv"
)

// TestScriptsRemote runs the same scripts against a real `gantry server`
// on loopback, one per script: the test binary's `gantry` serving a store
// of the script's own, with an admin token in GANTRY_TOKEN.
func TestScriptsRemote(t *testing.T) {
	runScripts(t, remoteMode)
}

var remoteMode = scriptMode{name: "remote", setup: func(env *testscript.Env) error {
	return startServer(env, filepath.Join(env.WorkDir, "server", "gantry.db"))
}}

// TestScriptsEtcd runs the same scripts against a real `gantry server`
// whose store is a real 3-member etcd cluster on loopback (one for the
// suite, a key prefix per script). Scripts see [remote] and [etcd] true.
// Without the etcd binary it is skipped, and fails under CI=true.
func TestScriptsEtcd(t *testing.T) {
	c := testenv.StartEtcdCluster(t, 3)
	var n atomic.Int64
	runScripts(t, scriptMode{name: etcdMode, setup: func(env *testscript.Env) error {
		return startServer(env, c.URL(fmt.Sprintf("script%d", n.Add(1))))
	}})
}

// etcdMode is the scripts' mode against a server on etcd.
const etcdMode = "etcd"

// serverStart bounds how long `gantry server` may take to listen.
const serverStart = 20 * time.Second

var listening = regexp.MustCompile(`gantry server listening on (http://\S+) `)

// startServer makes the first admin token on a new store (a file path or
// an etcd URL), starts `gantry server` on it (port 0) with the script's
// environment, and points the script's gantry at it; the server stops
// (SIGTERM) when the script ends.
func startServer(env *testscript.Env, storePath string) error {
	if err := os.MkdirAll(filepath.Join(env.WorkDir, "server"), 0o700); err != nil {
		return err
	}
	token, err := adminToken(storePath)
	if err != nil {
		return err
	}
	gantry, err := lookPath("gantry", env.Getenv("PATH"))
	if err != nil {
		return err
	}
	logPath := filepath.Join(env.WorkDir, "server", "server.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	cmd := exec.Command(gantry, "server", "--listen", "127.0.0.1:0", "--store", storePath)
	cmd.Env = append([]string(nil), env.Vars...)
	cmd.Dir = env.WorkDir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	env.Defer(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		logFile.Close()
	})
	url, err := waitListening(logPath, exited)
	if err != nil {
		return err
	}
	env.Setenv("GANTRY_URL", url)
	env.Setenv("GANTRY_TOKEN", token)
	// Where a script starts a worker (worker.txtar): the server's store.
	env.Setenv("SERVER_STORE", storePath)
	return nil
}

// adminToken creates an admin token in the store at path, as `gantry
// server tokens create` run on the server's machine does.
func adminToken(path string) (string, error) {
	f := cmdutil.NewFactory(cmdutil.SystemStreams())
	f.StorePath = path
	m, err := f.Local(false)
	if err != nil {
		return "", err
	}
	defer m.Close()
	tok, err := m.CreateToken(context.Background(), api.CreateTokenRequest{Name: "scripts", Role: api.RoleAdmin})
	if err != nil {
		return "", err
	}
	return tok.Bearer, nil
}

// waitListening reads the server's log until it says where it listens.
func waitListening(logPath string, exited <-chan error) (string, error) {
	deadline := time.Now().Add(serverStart)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			b, _ := os.ReadFile(logPath)
			return "", fmt.Errorf("gantry server exited (%v):\n%s", err, b)
		default:
		}
		if f, err := os.Open(logPath); err == nil {
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				if m := listening.FindStringSubmatch(sc.Text()); m != nil {
					f.Close()
					return m[1], nil
				}
			}
			f.Close()
		}
		time.Sleep(20 * time.Millisecond)
	}
	return "", errors.New("gantry server did not listen within " + serverStart.String())
}

func lookPath(name, path string) (string, error) {
	for _, dir := range filepath.SplitList(path) {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not on PATH %s", name, strings.TrimSpace(path))
}
