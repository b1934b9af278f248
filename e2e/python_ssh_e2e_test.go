//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager"
	"github.com/gantryhq/gantry/manager/api"
)

// pythonHostBlueprint is an existing host (the test environment's sshd)
// and an application on it whose configure is a Python script written as
// Cloudify's documentation writes them; it runs on the host (host_agent,
// the script plugin's default executor).
const pythonHostBlueprint = `tosca_definitions_version: cloudify_dsl_1_3
imports:
  - http://www.getcloudify.org/spec/cloudify/4.3.3/types.yaml
inputs:
  ip: {type: string}
  ssh_port: {type: integer}
  ssh_username: {type: string}
  ssh_keyfilename: {type: string}
  known_hosts: {type: string}
node_types:
  my.App:
    derived_from: cloudify.nodes.ApplicationModule
    properties:
      port: {type: integer}
node_templates:
  host:
    type: cloudify.nodes.Compute
    properties:
      ip: {get_input: ip}
      agent_config:
        user: {get_input: ssh_username}
        key: {get_input: ssh_keyfilename}
        port: {get_input: ssh_port}
        known_hosts: {get_input: known_hosts}
  app:
    type: my.App
    properties:
      port: 8080
    interfaces:
      cloudify.interfaces.lifecycle:
        configure:
          implementation: scripts/configure.py
          max_retries: 3
          retry_interval: 0
          inputs:
            greeting: hello
    relationships:
      - {type: cloudify.relationships.contained_in, target: host}
outputs:
  conf: {value: {get_attribute: [app, conf]}}
  tries: {value: {get_attribute: [app, tries]}}
  host_ip: {value: {get_attribute: [app, host_ip]}}
  ran_in: {value: {get_attribute: [app, ran_in]}}
  user: {value: {get_attribute: [app, user]}}
`

// configureCloudifyStyle uses what Cloudify's docs show: ctx from the
// cloudify package, inputs through ctx_parameters, runtime properties
// (also changed in place), a rendered resource, and a retry by exception.
const configureCloudifyStyle = `import getpass
import os

from cloudify import ctx
from cloudify.state import ctx_parameters as inputs
from cloudify.exceptions import OperationRetry

ctx.logger.info('configuring %s on %s', ctx.node.id, ctx.instance.host_ip)
props = ctx.instance.runtime_properties
props['tries'] = ctx.operation.retry_number
if ctx.operation.retry_number == 0:
    raise OperationRetry('not ready yet', retry_after=0)

path = ctx.download_resource_and_render('templates/app.conf', template_variables={'greeting': inputs['greeting']})
with open(path) as f:
    props['conf'] = f.read().strip()
os.remove(path)
props['host_ip'] = ctx.instance.host_ip
props['ran_in'] = os.path.dirname(os.path.abspath(path))
props['user'] = getpass.getuser()
props['meta'] = {'node': ctx.node.id}
props['meta']['deployment'] = ctx.deployment.id
`

// TestPythonCloudifyScriptOverSSH installs a host and an application whose
// Cloudify-style Python script runs on the host over SSH: it retries once,
// renders a template of the blueprint on the host, and sets runtime
// properties (also inside a value) that reach the deployment's outputs.
func TestPythonCloudifyScriptOverSSH(t *testing.T) {
	env := testenvRequire(t)
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "scripts"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "templates"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "blueprint.yaml"), []byte(pythonHostBlueprint), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "scripts", "configure.py"), []byte(configureCloudifyStyle), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "templates", "app.conf"),
		[]byte("{{ greeting }} from {{ ctx.node.id }} on port {{ ctx.node.properties.port }}\n"), 0o644))

	w := newWorld(t, env)
	dep := uniqueName("pyssh")
	w.create(dep, dir, sshInputs(env, env.KnownHostsPath))
	w.mustRun(dep, "install", nil, manager.ExecOptions{})

	out, err := w.m.Outputs(t.Context(), dep)
	require.NoError(t, err)
	require.Equal(t, "hello from app on port 8080", out["conf"], "the template was rendered on the host")
	require.Equal(t, 1.0, out["tries"], "the first attempt asked for a retry")
	require.Equal(t, env.SSHHost, out["host_ip"])
	require.Equal(t, env.SSHUser, out["user"], "the script ran as the SSH user")
	require.NotEmpty(t, out["ran_in"])

	insts, err := w.st.ListNodeInstances(t.Context(), dep, "app")
	require.NoError(t, err)
	require.Len(t, insts, 1)
	require.Equal(t, map[string]any{"node": "app", "deployment": dep}, insts[0].RuntimeProperties["meta"],
		"a change inside a value is saved when the script ends")

	var rescheduled, ranOnHost bool
	for _, e := range w.eventsOf(dep) {
		if e.Type == api.EventTaskRescheduled && strings.HasSuffix(e.Operation, "configure") {
			rescheduled = true
		}
		if e.Type == api.EventLog && strings.Contains(e.Message, "configuring app on "+env.SSHHost) {
			ranOnHost = true
		}
	}
	require.True(t, rescheduled, "the retry is an event\n%s", w.dump(dep))
	require.True(t, ranOnHost, "ctx.logger reaches the events\n%s", w.dump(dep))
	w.uninstallAndDelete(dep)
}
