package compose

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gantryhq/gantry/plugins"
	"github.com/gantryhq/gantry/tosca"
)

// Name is the plugin name the composition types map their operations to.
const Name = tosca.PluginCfyExtensions

// Runtime properties the plugin writes (Cloudify's names).
const (
	RuntimeDeployment   = "deployment"   // {id: the child or shared deployment}
	RuntimeBlueprint    = "blueprint"    // {id: the child's blueprint}
	RuntimeCapabilities = "capabilities" // the deployment's capabilities
	keyID               = "id"
)

// Properties and operation inputs the plugin reads.
const (
	propResourceConfig   = "resource_config"
	propClient           = "client"
	propPlugins          = "plugins"
	propSecrets          = "secrets"
	cfgBlueprint         = "blueprint"
	cfgDeployment        = "deployment"
	cfgExternal          = "external_resource"
	cfgArchive           = "blueprint_archive"
	cfgMainFile          = "main_file_name"
	cfgInputs            = "inputs"
	cfgAutoSuffix        = "auto_inc_suffix"
	cfgStartArgs         = "executions_start_args"
	argAllowCustom       = "allow_custom_parameters"
	inWorkflowID         = "workflow_id"
	inTimeout            = "timeout"
	inParameters         = "parameters"
	defaultMainFile      = "blueprint.yaml"
	defaultWorkflow      = "install"
	workflowUninstall    = "uninstall"
	maxAutoSuffix        = 100 // auto_inc_suffix tries id-0 .. id-99
	defaultTimeout       = 1800 * time.Second
	defaultSharedTimeout = 30 * time.Second
)

// Plugin is the cfy_extensions plugin.
type Plugin struct {
	Deployments Deployments
}

// Run dispatches one operation.
func (p *Plugin) Run(ctx context.Context, op *plugins.Context) (any, error) {
	if p.Deployments == nil {
		return nil, plugins.NonRecoverable(errors.New("cfy_extensions plugin: no deployment store configured"))
	}
	var err error
	switch op.Operation.Operation {
	case tosca.OpComponentUpload:
		err = p.uploadBlueprint(ctx, op)
	case tosca.OpComponentCreate:
		err = p.createDeployment(ctx, op)
	case tosca.OpComponentExecute:
		err = p.executeStart(ctx, op)
	case tosca.OpComponentDelete:
		err = p.deleteDeployment(ctx, op)
	case tosca.OpComponentRefresh, tosca.OpSharedRefresh:
		err = p.refresh(ctx, op, deploymentIDOf(op))
	case tosca.OpComponentCheckStatus, tosca.OpSharedCheckStatus:
		err = p.checkStatus(ctx, op)
	case tosca.OpComponentCheckDrift:
		return p.checkDrift(ctx, op, true)
	case tosca.OpSharedCheckDrift:
		return p.checkDrift(ctx, op, false)
	case tosca.OpComponentHeal:
		err = p.heal(ctx, op)
	case tosca.OpComponentUpdate:
		err = p.update(ctx, op)
	case tosca.OpSharedConnect:
		err = p.connect(ctx, op)
	case tosca.OpSharedDisconnect:
		err = p.disconnect(ctx, op)
	case tosca.OpSharedExecuteWorkflow:
		err = p.executeWorkflow(ctx, op)
	case tosca.OpBlueprintUpload:
		err = p.blueprintUpload(ctx, op)
	case tosca.OpBlueprintDelete:
		err = p.blueprintDelete(ctx, op)
	case tosca.OpPasswordCreate:
		err = p.passwordCreate(ctx, op)
	case tosca.OpPasswordDelete:
		err = p.passwordDelete(ctx, op)
	default:
		return nil, plugins.NonRecoverable(fmt.Errorf("the %s plugin has no operation %q (it runs: %v)",
			Name, op.Operation.Operation, tosca.GantryRuntime().Plugins[Name]))
	}
	return nil, err
}

// desired is Cloudify's get_desired_operation_input: the operation input
// key when it is given (non-empty), else the node property.
func desired(op *plugins.Context, key string) any {
	if v, ok := op.Inputs[key]; ok && !empty(v) {
		return v
	}
	return op.Node.Properties[key]
}

func empty(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case string:
		return t == ""
	case map[string]any:
		return len(t) == 0
	case []any:
		return len(t) == 0
	}
	return false
}

// mapOf reads a map value (nil when absent or not a map).
func mapOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

func boolean(m map[string]any, key string) bool {
	b, _ := m[key].(bool)
	return b
}

// section reads resource_config.<name>.
func section(op *plugins.Context, name string) map[string]any {
	return mapOf(mapOf(desired(op, propResourceConfig))[name])
}

// checkLocal refuses a client configuration: Gantry composes deployments of
// its own store only.
func checkLocal(op *plugins.Context) error {
	for k, v := range mapOf(desired(op, propClient)) {
		if !empty(v) {
			return plugins.NonRecoverable(fmt.Errorf("node %s: client.%s is set, but Gantry composes deployments of its own store only; "+
				"remove the client property", op.Node.ID, k))
		}
	}
	return nil
}

// deploymentIDOf is the deployment the instance stands for: the runtime
// property deployment.id, else resource_config.deployment.id, else the
// instance's id (Cloudify's order).
func deploymentIDOf(op *plugins.Context) string {
	if v, ok := op.Runtime.Get(RuntimeDeployment, keyID); ok {
		if s, _ := v.(string); s != "" {
			return s
		}
	}
	if s := str(section(op, cfgDeployment), keyID); s != "" {
		return s
	}
	return op.Instance.ID
}

// blueprintIDOf is resource_config.blueprint.id, else the instance's id.
func blueprintIDOf(op *plugins.Context) string {
	if s := str(section(op, cfgBlueprint), keyID); s != "" {
		return s
	}
	return op.Instance.ID
}

// refresh copies deployment id's capabilities into the runtime properties.
func (p *Plugin) refresh(ctx context.Context, op *plugins.Context, id string) error {
	caps, err := p.Deployments.Capabilities(ctx, id)
	if err != nil {
		return fmt.Errorf("node instance %s: reading the capabilities of deployment %s: %w", op.Instance.ID, id, err)
	}
	if caps == nil {
		caps = map[string]any{}
	}
	if err := op.Runtime.Set(map[string]any{keyID: id}, RuntimeDeployment); err != nil {
		return err
	}
	return op.Runtime.Set(caps, RuntimeCapabilities)
}

// checkStatus fails unless the deployment's latest install terminated.
func (p *Plugin) checkStatus(ctx context.Context, op *plugins.Context) error {
	id := deploymentIDOf(op)
	st, err := p.Deployments.InstallStatus(ctx, id)
	if err != nil {
		return plugins.NonRecoverable(fmt.Errorf("deployment %s: %w", id, err))
	}
	if !st.Installed {
		return plugins.NonRecoverable(fmt.Errorf("deployment %s is not installed (latest: %s %s)", id, st.Workflow, st.Status))
	}
	return nil
}

// setRuntime sets several top-level runtime properties.
func setRuntime(op *plugins.Context, props map[string]any) error {
	for k, v := range props {
		if err := op.Runtime.Set(v, k); err != nil {
			return err
		}
	}
	return nil
}
