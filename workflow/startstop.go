package workflow

import "github.com/gantryhq/gantry/tosca"

// Workflows lists the workflows the engine builds, in the order they are
// documented: tosca.GantryRuntime's list, the one validation offers.
// tosca's built-in types declare no other default workflow.
var Workflows = tosca.GantryRuntime().Workflows

// Parameters of start, stop and restart.
const (
	paramOperationParms = "operation_parms"
	paramStopParms      = "stop_parms"
	paramStartParms     = "start_parms"
)

// buildStartStop runs lifecycle.start (or stop) on the selected instances
// with operation_parms as extra inputs, as Cloudify's start and stop
// workflows do: no state changes, instances without a real operation cost
// nothing. With run_by_dependency_order (the default) start goes along the
// relationships (targets first, like install) and stop against them
// (sources first, like uninstall).
func (b *builder) buildStartStop(p *params, wf string) error {
	kwargs, err := p.object(paramOperationParms)
	if err != nil {
		return err
	}
	sel, err := b.selection(p, true)
	if err != nil {
		return err
	}
	op := opStart
	if wf == WorkflowStop {
		op, sel.reverse = opStop, true
	}
	yes := true
	_, err = b.operationOn(p, paramOperationParms, wf, op, kwargs, &yes, sel, false)
	return err
}

// buildRestart is stop then start over the same selection: every start
// waits for every stop.
func (b *builder) buildRestart(p *params) error {
	stopKw, err := p.object(paramStopParms)
	if err != nil {
		return err
	}
	startKw, err := p.object(paramStartParms)
	if err != nil {
		return err
	}
	sel, err := b.selection(p, true)
	if err != nil {
		return err
	}
	yes := true
	stopSel := sel
	stopSel.reverse = true
	stopped, err := b.operationOn(p, paramStopParms, WorkflowRestart+"/"+WorkflowStop, opStop, stopKw, &yes, stopSel, false)
	if err != nil {
		return err
	}
	started, err := b.operationOn(p, paramStartParms, WorkflowRestart+"/"+WorkflowStart, opStart, startKw, &yes, sel, false)
	if err != nil {
		return err
	}
	if stopped.empty() || started.empty() {
		return nil
	}
	barrier, err := b.g.add(&Task{ID: WorkflowRestart + "/barrier/stopped", Kind: KindNop})
	if err != nil {
		return err
	}
	for _, x := range stopped.exit {
		b.g.dep(barrier, x)
	}
	for _, e := range started.entry {
		b.g.dep(e, barrier)
	}
	return nil
}
