package tosca

import (
	"embed"
	"sort"
	"strings"
)

// builtinFS holds Gantry's built-in type and plugin definitions. They carry
// the names and meanings of Cloudify's types.yaml and are written for
// Gantry. Blueprints reach them through Cloudify's types.yaml URLs (see
// ImportRule) and `plugin:NAME` imports.
//
//go:embed builtin/*.yaml builtin/plugins/*.yaml
var builtinFS embed.FS

// BuiltinPlugins lists the names usable as `plugin:NAME` imports, sorted.
func BuiltinPlugins() []string {
	ents, err := builtinFS.ReadDir("builtin/plugins")
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range ents {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(names)
	return names
}

// BuiltinTypesYAML returns the text of Gantry's built-in types.yaml.
func BuiltinTypesYAML() []byte {
	b, _ := builtinFS.ReadFile("builtin/types.yaml")
	return b
}

// Operation names of Gantry's built-in plugins, as they appear in
// Operation.Plugin / Operation.Operation of a plan.
const (
	PluginKubernetes = "kubernetes"
	PluginProxy      = "proxy"
	PluginSSH        = "ssh"
	PluginScript     = "script"

	// kubernetes plugin
	OpMicroserviceStart = "microservice.start" // cloudify.kubernetes.Microservice start
	OpMicroserviceStop  = "microservice.stop"  // cloudify.kubernetes.Microservice stop
	OpConnectMaster     = "master.connect"     // connected_to_master source postconfigure
	// proxy plugin
	OpProxyWait    = "deployment.wait"    // DeploymentProxy create
	OpProxyInherit = "deployment.inherit" // DeploymentProxy start
	OpProxyCleanup = "deployment.cleanup" // DeploymentProxy stop
	// ssh plugin
	OpSSHRunCommand = "command.run" // runs the `command` input over SSH
	// script plugin (Cloudify's names)
	OpScriptRun         = "script_runner.tasks.run"
	OpScriptRunWorkflow = "script_runner.tasks.execute_workflow"
)
