package script

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/plugins"
	"github.com/gantryhq/gantry/tosca"
)

func TestBuildInvocation(t *testing.T) {
	tests := []struct {
		name, file, body string
		inputs           map[string]any
		wantInterp       []string
		wantArgs         []string
		wantEnv          map[string]string
		wantCwd          string
		wantPython       bool
		wantErr          string
	}{
		{name: "shebang with argument", file: "a.sh", body: "#!/bin/bash -e\necho", wantInterp: []string{"/bin/bash", "-e"}},
		{name: "shebang, kernel semantics", file: "a.sh", body: "#!/usr/bin/env bash -x -e\n", wantInterp: []string{"/usr/bin/env", "bash -x -e"}},
		{name: "sh by extension", file: "a.sh", body: "echo", wantInterp: []string{"bash"}},
		{name: "python by extension", file: "a.py", body: "print(1)", wantInterp: []string{"python3"}, wantPython: true},
		{name: "python by shebang", file: "run", body: "#!/usr/bin/env python3\n", wantInterp: []string{"/usr/bin/env", "python3"}, wantPython: true},
		{name: "no interpreter", file: "run", body: "echo"},
		{name: "inputs encoded", file: "a.sh", body: "echo",
			inputs:     map[string]any{"s": "007", "n": 7.0, "nil": nil, "m": map[string]any{"a": 1.0}, "bad-name": "x"},
			wantInterp: []string{"bash"},
			wantEnv:    map[string]string{"s": "007", "n": "7", "nil": "", "m": `{"a":1}`}},
		{name: "process input", file: "a.sh", body: "echo",
			inputs: map[string]any{"x": "input", "process": map[string]any{
				"env": map[string]any{"x": "process wins", "N": 3.0}, "args": []any{"one", 2.0},
				"cwd": "/tmp", "command_prefix": "/usr/bin/env bash"}},
			wantInterp: []string{"/usr/bin/env", "bash"}, wantArgs: []string{"one", "2"}, wantCwd: "/tmp",
			wantEnv: map[string]string{"x": "process wins", "N": "3"}},
		{name: "process not a mapping", file: "a.sh", body: "echo", inputs: map[string]any{"process": "x"}, wantErr: "must be a mapping"},
		{name: "process unknown key", file: "a.sh", body: "echo", inputs: map[string]any{"process": map[string]any{"shell": true}}, wantErr: `unknown key "shell"`},
		{name: "process env bad name", file: "a.sh", body: "echo", inputs: map[string]any{"process": map[string]any{"env": map[string]any{"A-B": "x"}}}, wantErr: "not an environment variable name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, tt.file), []byte(tt.body), 0o644))
			inputs := tt.inputs
			if inputs == nil {
				inputs = map[string]any{}
			}
			oc := &plugins.Context{BlueprintDir: dir, Operation: &tosca.Operation{ScriptPath: tt.file}, Inputs: inputs}
			inv, err := BuildInvocation(oc)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				require.True(t, errors.Is(err, ErrScript))
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.wantInterp, inv.Interp)
			require.Equal(t, tt.wantArgs, inv.Args)
			require.Equal(t, tt.wantCwd, inv.Cwd)
			require.Equal(t, tt.wantPython, inv.Python)
			require.Equal(t, []byte(tt.body), inv.Body)
			for k, v := range tt.wantEnv {
				require.Equal(t, v, inv.Env[k], k)
			}
			require.NotContains(t, inv.Env, "process")
			if _, ok := inputs["bad-name"]; ok {
				require.Equal(t, []string{"bad-name"}, inv.Skipped)
			}
		})
	}
}

func TestBuildInvocationPaths(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(outside, "x.sh"), []byte("echo"), 0o644))
	require.NoError(t, os.Symlink(filepath.Join(outside, "x.sh"), filepath.Join(dir, "link.sh")))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755))
	for _, p := range []string{"/bin/true", "../x.sh", "link.sh", "sub", "missing.sh"} {
		oc := &plugins.Context{BlueprintDir: dir, Operation: &tosca.Operation{ScriptPath: p}, Inputs: map[string]any{}}
		_, err := BuildInvocation(oc)
		require.Error(t, err, p)
		require.True(t, errors.Is(err, ErrScript), p)
	}
}
