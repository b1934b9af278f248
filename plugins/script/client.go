package script

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"
)

// CtxName is the command name scripts call.
const CtxName = "ctx"

// Exit statuses of the ctx command.
const (
	ctxExitOK    = 0
	ctxExitError = 1
	ctxExitUsage = 2
)

// CtxMain is the ctx command: it sends args to the engine that runs the
// current operation and prints the answer. cmd/gantry calls it when
// invoked as "ctx" or as "gantry ctx ...". It returns the exit status.
func CtxMain(args []string) int {
	return ctxMain(args, os.Stdout, os.Stderr)
}

// RunCtxIfInvoked runs CtxMain and exits when the program was invoked
// under the name "ctx" (through the symlink the plugin puts on scripts'
// PATH). Call it first thing in main and in TestMain of tests that run
// scripts with the test binary as ctx.
func RunCtxIfInvoked() {
	if len(os.Args) > 0 && filepath.Base(os.Args[0]) == CtxName {
		os.Exit(CtxMain(os.Args[1:]))
	}
}

func ctxMain(args []string, stdout, stderr io.Writer) int {
	sock, token := os.Getenv(EnvSocket), os.Getenv(EnvToken)
	if sock == "" || token == "" {
		fmt.Fprintf(stderr, "ctx: not running inside a Gantry operation (%s is not set)\n", EnvSocket)
		return ctxExitUsage
	}
	if len(args) == 0 {
		fmt.Fprintf(stderr, "usage: ctx [-j] COMMAND ... (COMMAND: %s)\n", commands)
		return ctxExitUsage
	}
	call := func(args []string) (response, error) { return ctxCall(sock, token, args) }
	if dl, ok := downloadRequest(args); ok {
		path, err := download(dl, call)
		if err != nil {
			fmt.Fprintf(stderr, "ctx: %v\n", err)
			return ctxExitError
		}
		fmt.Fprintln(stdout, path)
		return ctxExitOK
	}
	resp, err := call(args)
	if err != nil {
		fmt.Fprintf(stderr, "ctx: %v\n", err)
		return ctxExitUsage
	}
	if !resp.OK {
		fmt.Fprintf(stderr, "ctx: %s\n", resp.Error)
		return ctxExitError
	}
	if resp.Output != "" {
		fmt.Fprintln(stdout, resp.Output)
	}
	return ctxExitOK
}

// ctxCall sends one command to the engine and returns its answer.
func ctxCall(sock, token string, args []string) (response, error) {
	var resp response
	conn, err := net.DialTimeout("unix", sock, 10*time.Second)
	if err != nil {
		return resp, fmt.Errorf("connect to gantry: %w", err)
	}
	defer conn.Close()
	if rest := stripFlags(args); len(rest) == 0 || !isGraphCommand(rest[0]) {
		// A workflow script's requests last as long as their operations.
		_ = conn.SetDeadline(time.Now().Add(5 * time.Minute))
	}
	if err := json.NewEncoder(conn).Encode(request{Token: token, Args: args}); err != nil {
		return resp, fmt.Errorf("send: %w", err)
	}
	if err := json.NewDecoder(io.LimitReader(conn, maxMessage)).Decode(&resp); err != nil {
		return resp, fmt.Errorf("read answer: %w", err)
	}
	return resp, nil
}
