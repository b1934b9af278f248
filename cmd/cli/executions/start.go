package executions

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/gantryhq/gantry/cmd/cli/cmdutil"
	"github.com/gantryhq/gantry/manager/api"
)

// RunFlags are the engine flags of commands that run a workflow.
type RunFlags struct {
	Parallelism       int
	TaskRetries       int
	TaskRetryInterval time.Duration
	DryRun            bool
	JSON              bool
	Verbose           bool
	// Detach queues the execution for a worker and returns at once.
	Detach bool
}

// Register adds the flags.
func (r *RunFlags) Register(cmd *cobra.Command) {
	cmd.Flags().IntVar(&r.Parallelism, "parallelism", 10, "operations running at once")
	cmd.Flags().IntVar(&r.TaskRetries, "task-retries", 0, "retries of operations without max_retries (-1: forever)")
	cmd.Flags().DurationVar(&r.TaskRetryInterval, "task-retry-interval", time.Second, "wait between retries of operations without retry_interval")
	cmd.Flags().BoolVar(&r.DryRun, "dry-run", false, "show what would run without running it")
	cmd.Flags().BoolVar(&r.JSON, "json", false, "print events as NDJSON")
	cmd.Flags().BoolVarP(&r.Verbose, "verbose", "v", false, "print every event (tasks and state changes too)")
}

// Options converts the flags for the Service; the factory's printer sees
// the events.
func (r *RunFlags) Options(cmd *cobra.Command, f *cmdutil.Factory) api.ExecOptions {
	o := api.ExecOptions{DryRun: r.DryRun, Parallelism: r.Parallelism, TaskRetryInterval: r.TaskRetryInterval, OnEvent: f.Printer.OnEvent, Queue: r.Detach}
	if cmd.Flags().Changed("task-retries") {
		n := r.TaskRetries
		o.TaskRetries = &n
	}
	return o
}

// Apply configures the event printer.
func (r *RunFlags) Apply(f *cmdutil.Factory) {
	f.Printer.JSON = r.JSON
	f.Printer.Verbose = r.Verbose || r.DryRun
}

// Follow announces a started run (unless --json) and watches it to the end.
func (r *RunFlags) Follow(f *cmdutil.Factory, run api.Run, verb string) (*api.Execution, error) {
	if !r.JSON {
		e := run.Execution()
		fmt.Fprintf(f.IO.ErrOut, "%s %s: %s of deployment %s\n", verb, e.ID, e.WorkflowID, e.DeploymentID)
	}
	return cmdutil.Watch(context.Background(), f.IO, f.Printer, run)
}

// RunWorkflow starts a workflow and follows it to the end.
func RunWorkflow(cmd *cobra.Command, f *cmdutil.Factory, rf *RunFlags, deploymentID, wf string, params map[string]any, allowCustom bool) error {
	rf.Apply(f)
	svc, err := f.Service()
	if err != nil {
		return err
	}
	opts := rf.Options(cmd, f)
	opts.AllowCustomParameters = allowCustom
	r, err := svc.StartExecution(context.Background(), api.StartRequest{DeploymentID: deploymentID, Workflow: wf, Parameters: params, Options: opts})
	if err != nil {
		return cmdutil.StoreError(err)
	}
	if rf.Detach {
		return rf.Queued(f, r.Execution())
	}
	_, err = rf.Follow(f, r, "execution")
	return err
}

// detachUsage is the help of --detach.
const detachUsage = "queue it for a worker ('gantry worker', shared etcd store) and return at once"

// RegisterDetach adds --detach.
func (r *RunFlags) RegisterDetach(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&r.Detach, "detach", false, detachUsage)
}

// Queued reports an execution queued with --detach (--json: its record).
func (r *RunFlags) Queued(f *cmdutil.Factory, e *api.Execution) error {
	if r.JSON {
		return cmdutil.PrintJSON(f.IO.Out, e)
	}
	fmt.Fprintf(f.IO.Out, "execution %s queued: %s of deployment %s (a worker runs it; follow it with `gantry events list -e %s --follow`)\n", e.ID, e.WorkflowID, e.DeploymentID, e.ID)
	return nil
}

func newStartCmd(f *cmdutil.Factory) *cobra.Command {
	var rf RunFlags
	var deploymentID string
	var params []string
	var allowCustom bool
	cmd := &cobra.Command{
		Use:   "start WORKFLOW -d DEPLOYMENT_ID [-p PARAMS]...",
		Short: "Run a workflow (install, uninstall, execute_operation, scale, heal, ...)",
		Long: `Run a workflow of a deployment and follow it to the end: a progress line on a
terminal, event lines when piped, NDJSON with --json. Ctrl-C cancels gracefully
(running operations finish); a second Ctrl-C forces.

Parameters (-p) are YAML/JSON files, KEY=VALUE pairs or inline YAML, e.g.
  gantry executions start scale -d web -p scalable_entity_name=app -p delta=2
  gantry executions start execute_operation -d web -p operation=cloudify.interfaces.lifecycle.start -p 'node_ids=[app]'`,
		Args: cmdutil.ExactArgs(1, "WORKFLOW"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if deploymentID == "" {
				return cmdutil.Exit(cmdutil.ExitUsage, errors.New("--deployment-id (-d) is required"))
			}
			p, err := cmdutil.ParseKV("--parameters", params)
			if err != nil {
				return err
			}
			return RunWorkflow(cmd, f, &rf, deploymentID, args[0], p, allowCustom)
		},
	}
	rf.Register(cmd)
	cmd.Flags().StringVarP(&deploymentID, "deployment-id", "d", "", "the deployment")
	cmd.Flags().StringArrayVarP(&params, "parameters", "p", nil, "workflow parameters: FILE, KEY=VALUE or inline YAML (repeatable)")
	cmd.Flags().BoolVar(&allowCustom, "allow-custom-parameters", false, "accept parameters the workflow does not declare")
	rf.RegisterDetach(cmd)
	return cmd
}

func newResumeCmd(f *cmdutil.Factory) *cobra.Command {
	var rf RunFlags
	cmd := &cobra.Command{
		Use:   "resume EXECUTION_ID",
		Short: "Continue a failed, cancelled or interrupted execution, skipping what completed",
		Args:  cmdutil.ExactArgs(1, "EXECUTION_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			rf.Apply(f)
			svc, err := f.Service()
			if err != nil {
				return err
			}
			r, err := svc.Resume(context.Background(), args[0], rf.Options(cmd, f))
			if err != nil {
				return cmdutil.StoreError(err)
			}
			if rf.Detach {
				return rf.Queued(f, r.Execution())
			}
			_, err = rf.Follow(f, r, "resuming execution")
			return err
		},
	}
	rf.Register(cmd)
	rf.RegisterDetach(cmd)
	return cmd
}
