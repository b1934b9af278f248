//go:build e2e

package manager

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/testenv"
	"github.com/gantryhq/gantry/workflow"
)

// hostBlueprint is an existing host (the test environment's sshd) and an
// application contained in it whose scripts run on the host (host_agent,
// the script plugin's default executor) and talk back through ctx.
const hostBlueprint = `tosca_definitions_version: cloudify_dsl_1_3
imports:
  - http://www.getcloudify.org/spec/cloudify/4.3.3/types.yaml
inputs:
  port: {type: integer}
  key: {type: string}
  known_hosts: {type: string}
  message: {type: string}
node_templates:
  host:
    type: cloudify.nodes.Compute
    properties:
      ip: 127.0.0.1
      agent_config:
        user: root
        key: {get_input: key}
        port: {get_input: port}
        known_hosts: {get_input: known_hosts}
  app:
    type: cloudify.nodes.ApplicationModule
    interfaces:
      cloudify.interfaces.lifecycle:
        create:
          implementation: scripts/create.sh
          inputs:
            message: {get_input: message}
        configure: scripts/configure.py
    relationships:
      - type: cloudify.relationships.contained_in
        target: host
outputs:
  seen:
    value: {get_attribute: [app, seen]}
  ctx_dir:
    value: {get_attribute: [app, ctx_dir]}
`

const createScript = `#!/bin/bash
set -euo pipefail
echo "running on $(hostname) as $(whoami)"
ctx logger info "instance $(ctx instance id) of $(ctx node id)"
ctx instance runtime-properties seen "$message"
ctx instance runtime-properties ctx_dir "$(dirname "$(command -v ctx)")"
echo "no script file here: $0"
`

const configurePy = `import subprocess
out = subprocess.run(["ctx", "instance", "runtime-properties", "seen"], capture_output=True, text=True, check=True).stdout.strip()
subprocess.run(["ctx", "instance", "runtime-properties", "python_saw", out], check=True)
print("python read", out)
`

// writeHostBlueprint writes hostBlueprint and its scripts into a folder.
func writeHostBlueprint(t *testing.T, replace ...string) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "scripts"), 0o755))
	bp := strings.NewReplacer(replace...).Replace(hostBlueprint)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "blueprint.yaml"), []byte(bp), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "scripts", "create.sh"), []byte(createScript), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "scripts", "configure.py"), []byte(configurePy), 0o644))
	return dir
}

func TestHostAgentScriptsOverSSH(t *testing.T) {
	env := testenv.Require(t)
	ctx := context.Background()
	dir := writeHostBlueprint(t)

	m := newManager(t)
	_, err := m.UploadBlueprint(ctx, "hosted", dir)
	require.NoError(t, err)
	hostile := `it's "quoted"; $(touch /tmp/gantry-pwned) & rm -rf / #`
	_, err = m.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: "hosted", BlueprintID: "hosted", Inputs: map[string]any{
		"port": env.SSHPort, "key": env.SSHKeyPath, "known_hosts": env.KnownHostsPath, "message": hostile,
	}, Seed: 3})
	require.NoError(t, err)

	e, res := run(t, m, "hosted", "install", nil)
	require.Equal(t, workflow.StatusTerminated, res.Status, "install: %v", res.Err)

	out, err := m.Outputs(ctx, "hosted")
	require.NoError(t, err)
	require.Equal(t, hostile, out["seen"], "the input arrives as one literal value")
	_, err = os.Stat("/tmp/gantry-pwned")
	require.True(t, os.IsNotExist(err), "nothing in the input was executed")

	insts, err := m.Store().ListNodeInstances(ctx, "hosted", "app")
	require.NoError(t, err)
	require.Len(t, insts, 1)
	require.Equal(t, hostile, insts[0].RuntimeProperties["python_saw"], "ctx works from python on the host too")

	ctxDir, _ := out["ctx_dir"].(string)
	require.True(t, strings.HasPrefix(ctxDir, "/tmp/gantry-ctx."), "ctx came from the private folder, got %q", ctxDir)
	_, err = os.Stat(ctxDir)
	require.True(t, os.IsNotExist(err), "the private ctx folder %s is removed after the script", ctxDir)

	evs, err := m.Store().Events(ctx, e.ID, 0, 0)
	require.NoError(t, err)
	var text []string
	for _, ev := range evs {
		text = append(text, ev.Message)
	}
	all := strings.Join(text, "\n")
	require.Contains(t, all, "running on")
	require.Contains(t, all, "as root")
	require.Contains(t, all, "python read "+hostile)
	require.Contains(t, all, fmt.Sprintf("instance %s of app", insts[0].ID))
	require.Contains(t, all, "no script file here: /dev/fd/3")
}

func TestHostAgentUnknownHostKeyRefused(t *testing.T) {
	env := testenv.Require(t)
	ctx := context.Background()
	dir := writeHostBlueprint(t)
	emptyKnown := filepath.Join(t.TempDir(), "known_hosts")
	require.NoError(t, os.WriteFile(emptyKnown, nil, 0o600))

	m := newManager(t)
	_, err := m.UploadBlueprint(ctx, "hosted", dir)
	require.NoError(t, err)
	_, err = m.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: "hosted", BlueprintID: "hosted", Inputs: map[string]any{
		"port": env.SSHPort, "key": env.SSHKeyPath, "known_hosts": emptyKnown, "message": "x",
	}})
	require.NoError(t, err)
	r, err := m.StartExecution(ctx, api.StartRequest{DeploymentID: "hosted", Workflow: "install"})
	require.NoError(t, err)
	e, err := r.Wait(ctx)
	require.NoError(t, err, "a failed workflow is told by the record")
	res := r.(*Running).Result()
	require.Equal(t, store.ExecutionFailed, e.Status)
	require.Equal(t, workflow.StatusFailed, res.Status)
	require.Contains(t, e.Error, "host key unknown")
	require.Contains(t, e.Error, "trust_on_first_use", "the error says what to do")
	require.Equal(t, 1, res.Failed, "a host key problem is not retried")
}

// The host's key may come from a secret (agent_config.key: {get_secret: ...}).
func TestHostAgentKeyFromSecret(t *testing.T) {
	env := testenv.Require(t)
	ctx := context.Background()
	dir := writeHostBlueprint(t, "key: {get_input: key}", "key: {get_secret: host_key}")
	pem, err := os.ReadFile(env.SSHKeyPath)
	require.NoError(t, err)

	m := newManager(t)
	require.NoError(t, m.Store().PutSecret(ctx, &store.Secret{Key: "host_key", Value: string(pem)}, false))
	_, err = m.UploadBlueprint(ctx, "hosted", dir)
	require.NoError(t, err)
	_, err = m.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: "hosted", BlueprintID: "hosted", Inputs: map[string]any{
		"port": env.SSHPort, "key": "unused", "known_hosts": env.KnownHostsPath, "message": "from a secret key",
	}})
	require.NoError(t, err)
	_, res := run(t, m, "hosted", "install", nil)
	require.Equal(t, workflow.StatusTerminated, res.Status, "install: %v", res.Err)
	out, err := m.Outputs(ctx, "hosted")
	require.NoError(t, err)
	require.Equal(t, "from a secret key", out["seen"])
}
