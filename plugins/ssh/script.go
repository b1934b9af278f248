package ssh

import (
	"bytes"
	"context"
	"strings"
)

// scriptLauncher moves the script (arriving on stdin) to fd 3 and gives the
// interpreter /dev/null as stdin, so commands in the script that read stdin
// cannot swallow the rest of the script.
const scriptLauncher = `exec 3<&0 </dev/null; exec "$@"`

// ScriptCommand returns a Command that runs script on the remote host without
// copying any file there: the script travels over the session's stdin and the
// interpreter reads it from /dev/fd/3. The interpreter is taken from a "#!"
// line (e.g. "#!/bin/bash -e", "#!/usr/bin/env python3"), else sh. args
// become the script's positional parameters ($1...).
func ScriptCommand(script []byte, args []string, env map[string]string) Command {
	interp := []string{"sh"}
	if rest, ok := bytes.CutPrefix(script, []byte("#!")); ok {
		first, _, _ := bytes.Cut(rest, []byte("\n"))
		if f := strings.Fields(string(first)); len(f) > 0 {
			interp = f
		}
	}
	a := []string{"sh", "-c", scriptLauncher, "sh"}
	a = append(a, interp...)
	a = append(a, "/dev/fd/3")
	a = append(a, args...)
	return Command{
		Args:  a,
		Stdin: bytes.NewReader(script),
		Env:   env,
		name:  "script (" + strings.Join(interp, " ") + ")",
	}
}

// RunScript runs script on t (see ScriptCommand) and returns its output.
// Use Stream with ScriptCommand to get lines while it runs, a timeout or
// masked secrets.
func (p *Pool) RunScript(ctx context.Context, t Target, script []byte, args []string, env map[string]string) (Result, error) {
	return p.Run(ctx, t, ScriptCommand(script, args, env))
}
