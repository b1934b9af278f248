package workflow

import (
	"errors"
	"testing"

	"github.com/gantryhq/gantry/tosca"
)

// The workflows validation offers (tosca.GantryRuntime) are exactly those
// BuildGraph builds: a workflow added to the engine must be added to that
// one list, and the list never names a workflow the engine refuses.
func TestBuildGraphBuildsExactlyTheRuntimesWorkflows(t *testing.T) {
	rt := tosca.GantryRuntime()
	all := []string{tosca.WorkflowInstall, tosca.WorkflowUninstall, tosca.WorkflowExecuteOperation, tosca.WorkflowHeal,
		tosca.WorkflowScale, tosca.WorkflowStart, tosca.WorkflowStop, tosca.WorkflowRestart, tosca.WorkflowUpdate,
		tosca.WorkflowInstallNewAgents}
	for _, name := range all {
		_, err := BuildGraph(BuildOptions{Plan: &tosca.Plan{}, Workflow: name, Scale: &ScaleChange{}})
		unknown := errors.Is(err, ErrUnknownWorkflow)
		if rt.RunsWorkflow(name) == unknown {
			t.Errorf("workflow %q: tosca.GantryRuntime says runnable=%v, BuildGraph: %v (keep the two in step)", name, rt.RunsWorkflow(name), err)
		}
	}
}
