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
// Operation.Plugin / Operation.Operation of a plan. The plugins register
// under these names and switch on these operations; GantryRuntime lists
// which of them run.
const (
	PluginKubernetes       = "kubernetes"
	PluginProxy            = "proxy"
	PluginSSH              = "ssh"
	PluginScript           = "script"
	PluginAgent            = "agent"             // Compute's cloudify_agent operations: no-ops
	PluginDefaultWorkflows = "default_workflows" // the built-in workflows' mappings
	PluginCfyExtensions    = "cfy_extensions"    // Component, SharedResource, Blueprint, PasswordSecret (plugins/compose)

	// kubernetes plugin
	OpMicroserviceStart = "microservice.start" // cloudify.kubernetes.Microservice start
	OpMicroserviceStop  = "microservice.stop"  // cloudify.kubernetes.Microservice stop
	OpConnectMaster     = "master.connect"     // connected_to_master source postconfigure
	OpCheckMaster       = "master.check"       // Master start: the cluster answers
	OpLabelNode         = "node.label"         // Node: label the Kubernetes node
	OpUnlabelNode       = "node.unlabel"       // Node: remove the labels
	// proxy plugin
	OpProxyWait    = "deployment.wait"    // DeploymentProxy create
	OpProxyInherit = "deployment.inherit" // DeploymentProxy start
	OpProxyCleanup = "deployment.cleanup" // DeploymentProxy stop
	// cfy_extensions plugin (Cloudify 7's operation names)
	OpComponentUpload       = "cloudify_types.component.upload_blueprint" // Component create
	OpComponentCreate       = "cloudify_types.component.create"           // Component configure
	OpComponentExecute      = "cloudify_types.component.execute_start"    // Component start (install), stop (uninstall)
	OpComponentDelete       = "cloudify_types.component.delete"           // Component delete
	OpComponentRefresh      = "cloudify_types.component.refresh"          // re-read the capabilities
	OpComponentCheckStatus  = "cloudify_types.component.check_status"     // the component is installed
	OpComponentCheckDrift   = "cloudify_types.component.check_drift"      // returns what drifted
	OpComponentHeal         = "cloudify_types.component.heal"             // heals the child's instances
	OpComponentUpdate       = "cloudify_types.component.update"           // refuses drift it cannot apply
	OpSharedCheckDrift      = "cloudify_types.shared_resource.check_drift"
	OpSharedConnect         = "cloudify_types.shared_resource.connect_deployment"
	OpSharedDisconnect      = "cloudify_types.shared_resource.disconnect_deployment"
	OpSharedExecuteWorkflow = "cloudify_types.shared_resource.execute_workflow" // *_shared_resource establish/unlink
	OpSharedRefresh         = "cloudify_types.shared_resource.refresh"
	OpSharedCheckStatus     = "cloudify_types.shared_resource.check_status"
	OpBlueprintUpload       = "cloudify_types.blueprint.upload"       // Blueprint create
	OpBlueprintDelete       = "cloudify_types.blueprint.delete"       // Blueprint delete
	OpPasswordCreate        = "cloudify_types.password_secret.create" // PasswordSecret create
	OpPasswordDelete        = "cloudify_types.password_secret.delete" // PasswordSecret delete
	// ssh plugin
	OpSSHRunCommand = "command.run" // runs the `command` input over SSH
	// script plugin (Cloudify's names)
	OpScriptRun         = "script_runner.tasks.run"
	OpScriptRunWorkflow = "script_runner.tasks.execute_workflow"
)

// Workflow names of the language (Cloudify's built-in workflows).
const (
	WorkflowInstall          = "install"
	WorkflowUninstall        = "uninstall"
	WorkflowExecuteOperation = "execute_operation"
	WorkflowHeal             = "heal"
	WorkflowScale            = "scale"
	WorkflowStart            = "start"
	WorkflowStop             = "stop"
	WorkflowRestart          = "restart"
	WorkflowUpdate           = "update"
	WorkflowInstallNewAgents = "install_new_agents"
)

// Runtime is what an engine can run: the plugins it has (each with the
// operations it implements; nil: any operation) and the workflows it
// builds. Parse with Options.Runtime reports what a blueprint declares
// and the runtime cannot run, so that validation, not an install, fails.
type Runtime struct {
	Plugins   map[string][]string
	Workflows []string
}

// GantryRuntime is what Gantry's engine runs: the manager registers these
// plugins and the workflow package builds these workflows. One list: a
// plugin or workflow added to the engine is added here.
func GantryRuntime() *Runtime {
	return &Runtime{
		Plugins: map[string][]string{
			PluginScript:     {OpScriptRun},
			PluginKubernetes: {OpConnectMaster, OpCheckMaster, OpLabelNode, OpUnlabelNode, OpMicroserviceStart, OpMicroserviceStop},
			PluginProxy:      {OpProxyWait, OpProxyInherit, OpProxyCleanup},
			PluginCfyExtensions: {OpComponentUpload, OpComponentCreate, OpComponentExecute, OpComponentDelete, OpComponentRefresh, OpComponentCheckStatus,
				OpComponentCheckDrift, OpComponentHeal, OpComponentUpdate,
				OpSharedConnect, OpSharedDisconnect, OpSharedExecuteWorkflow, OpSharedRefresh, OpSharedCheckStatus, OpSharedCheckDrift,
				OpBlueprintUpload, OpBlueprintDelete, OpPasswordCreate, OpPasswordDelete},
			PluginAgent: nil,
		},
		Workflows: []string{WorkflowInstall, WorkflowUninstall, WorkflowExecuteOperation, WorkflowHeal, WorkflowScale,
			WorkflowStart, WorkflowStop, WorkflowRestart},
	}
}

// WithPlugin returns a copy of r that also runs every operation of plugin
// name (plugins registered by an embedding program or a test).
func (r *Runtime) WithPlugin(name string) *Runtime {
	out := &Runtime{Plugins: make(map[string][]string, len(r.Plugins)+1), Workflows: r.Workflows}
	for k, v := range r.Plugins {
		out.Plugins[k] = v
	}
	out.Plugins[name] = nil
	return out
}

// RunsWorkflow reports whether the runtime builds the workflow name.
func (r *Runtime) RunsWorkflow(name string) bool {
	for _, w := range r.Workflows {
		if w == name {
			return true
		}
	}
	return false
}

// runs reports whether the runtime has the plugin and, when it lists its
// operations, the operation.
func (r *Runtime) runs(plugin, op string) (hasPlugin, hasOp bool) {
	ops, ok := r.Plugins[plugin]
	if !ok {
		return false, false
	}
	if ops == nil {
		return true, true
	}
	for _, o := range ops {
		if o == op {
			return true, true
		}
	}
	return true, false
}

func (r *Runtime) pluginNames() []string { return sortedKeys(r.Plugins) }
