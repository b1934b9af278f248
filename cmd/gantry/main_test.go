package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/gantryhq/gantry/cmd/cli"
	"github.com/gantryhq/gantry/cmd/cli/cmdutil"
	"github.com/gantryhq/gantry/plugins/script"
)

// TestMain makes the test binary serve three roles: `ctx` for the scripts
// operations run (the script plugin links os.Executable() as ctx on their
// PATH), and the `gantry` and `gantry-exit` commands of the testscript
// scripts.
func TestMain(m *testing.M) {
	script.RunCtxIfInvoked()
	testscript.Main(m, map[string]func(){
		"gantry":      func() { os.Exit(cli.Main(os.Args[1:], cmdutil.SystemStreams())) },
		"gantry-exit": func() { os.Exit(gantryExit(os.Args[1:])) },
	})
}

// gantryExit is `gantry-exit CODE ARGS...`: it runs gantry ARGS and
// succeeds only when gantry exits with CODE, so scripts can assert the
// exact exit code (testscript's exec only knows zero and non-zero).
func gantryExit(args []string) int {
	if len(args) < 1 {
		fmt.Fprintln(os.Stderr, "usage: gantry-exit CODE [ARGS...]")
		return 100
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "gantry-exit: bad exit code %q\n", args[0])
		return 100
	}
	got := cli.Main(args[1:], cmdutil.SystemStreams())
	if got != want {
		fmt.Fprintf(os.Stderr, "gantry-exit: gantry exited %d, want %d\n", got, want)
		return 101
	}
	return 0
}

// TestScripts runs the CLI behaviour scripts in testdata/script against
// the in-process Service.
func TestScripts(t *testing.T) {
	runScripts(t, localMode)
}

// A scriptMode says where gantry keeps its state while the scripts run:
// "local" (a store file), "remote" (a `gantry server` on a store file,
// whose Setup sets GANTRY_URL and GANTRY_TOKEN) or "etcd" (a server on an
// etcd cluster). Scripts tell them apart with the [local], [remote] (true
// for both servers) and [etcd] conditions; the output and exit codes are
// the same.
type scriptMode struct {
	name  string
	setup func(*testscript.Env) error
}

// localMode gives each script a store of its own ($WORK/g.db).
var localMode = scriptMode{name: "local", setup: func(env *testscript.Env) error {
	env.Setenv("GANTRY_STORE", filepath.Join(env.WorkDir, "g.db"))
	return nil
}}

// scriptFiles are the variables the scripts' operations write through
// ($LOG: the operations they ran) or test ($STARTED, $BROKEN), in $WORK.
var scriptFiles = map[string]string{"LOG": "ops.log", "STARTED": "started", "BROKEN": "broken"}

// runScripts runs every script, with a home of its own, in one mode.
func runScripts(t *testing.T, mode scriptMode) {
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("HOME", filepath.Join(env.WorkDir, "home"))
			// Operations run where gantry runs (in remote mode, the
			// server), so what the scripts' operations read comes from
			// here, not from the scripts' own env lines.
			for name, file := range scriptFiles {
				env.Setenv(name, filepath.Join(env.WorkDir, file))
			}
			return mode.setup(env)
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "local", etcdMode:
				return cond == mode.name, nil
			case "remote":
				return mode.name == "remote" || mode.name == etcdMode, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: scriptCmds,
	})
}
