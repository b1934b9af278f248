package executions

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gantryhq/gantry/cmd/cli/cmdutil"
	"github.com/gantryhq/gantry/manager/api"
)

func newListCmd(f *cmdutil.Factory) *cobra.Command {
	var deploymentID string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [-d DEPLOYMENT_ID]",
		Short: "List executions, oldest first",
		Args:  cmdutil.ExactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := f.Service()
			if err != nil {
				return err
			}
			es, err := svc.ListExecutions(context.Background(), deploymentID)
			if err != nil {
				return cmdutil.StoreError(err)
			}
			if asJSON {
				if es == nil {
					es = []*api.Execution{}
				}
				return cmdutil.PrintJSON(f.IO.Out, es)
			}
			rows := make([][]string, len(es))
			for i, e := range es {
				rows[i] = []string{e.ID, e.DeploymentID, e.WorkflowID, statusText(e), cmdutil.When(e.CreatedAt), cmdutil.When(e.EndedAt), cmdutil.OrDash(firstLine(e.Error))}
			}
			cmdutil.Table(f.IO.Out, []string{"ID", "DEPLOYMENT", "WORKFLOW", "STATUS", "CREATED", "ENDED", "ERROR"}, rows)
			return nil
		},
	}
	cmd.Flags().StringVarP(&deploymentID, "deployment-id", "d", "", "only this deployment's executions")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// statusText is an execution's status for people: a pending execution
// waiting for a worker reads "pending (queued)".
func statusText(e *api.Execution) string {
	if e.Queued && e.Status == api.ExecutionPending {
		return string(e.Status) + " (queued)"
	}
	return string(e.Status)
}

func firstLine(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			return s[:i]
		}
	}
	return s
}

func newGetCmd(f *cmdutil.Factory) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "get EXECUTION_ID",
		Short: "Show an execution",
		Args:  cmdutil.ExactArgs(1, "EXECUTION_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := f.Service()
			if err != nil {
				return err
			}
			e, err := svc.GetExecution(context.Background(), args[0])
			if err != nil {
				return cmdutil.StoreError(err)
			}
			if asJSON {
				return cmdutil.PrintJSON(f.IO.Out, e)
			}
			fmt.Fprintf(f.IO.Out, "id:         %s\ndeployment: %s\nworkflow:   %s\nstatus:     %s\ncreated:    %s\nstarted:    %s\nended:      %s\nparameters: %v\nerror:      %s\n",
				e.ID, e.DeploymentID, e.WorkflowID, statusText(e), cmdutil.When(e.CreatedAt), cmdutil.When(e.StartedAt), cmdutil.When(e.EndedAt), e.Parameters, cmdutil.OrDash(e.Error))
			if !e.DeletedAt.IsZero() {
				fmt.Fprintf(f.IO.Out, "deleted:    %s (with its deployment; its events with it)\n", cmdutil.When(e.DeletedAt))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newCancelCmd(f *cmdutil.Factory) *cobra.Command {
	var force, asJSON bool
	cmd := &cobra.Command{
		Use:   "cancel EXECUTION_ID",
		Short: "Ask a running execution to stop (from any shell)",
		Long: `Ask a running execution to stop. Graceful by default: running operations
finish, no new ones start. --force also stops running operations (scripts are killed).
The gantry process running the execution notices within a quarter second.`,
		Args: cmdutil.ExactArgs(1, "EXECUTION_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := f.Service()
			if err != nil {
				return err
			}
			e, err := svc.Cancel(context.Background(), args[0], force)
			if err != nil {
				return cmdutil.StoreError(err)
			}
			if asJSON {
				return cmdutil.PrintJSON(f.IO.Out, e)
			}
			fmt.Fprintf(f.IO.Out, "execution %s: cancel requested (status %s)\n", e.ID, e.Status)
			return nil
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "also stop running operations")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the execution as JSON")
	return cmd
}
