package events

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/spf13/cobra"

	"github.com/gantryhq/gantry/cmd/cli/cmdutil"
	"github.com/gantryhq/gantry/store"
)

// NewCmd returns `gantry events`.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Show the events of executions",
	}
	cmd.AddCommand(newListCmd(f))
	return cmd
}

func newListCmd(f *cmdutil.Factory) *cobra.Command {
	var executionID, deploymentID string
	var follow, asJSON bool
	var after uint64
	cmd := &cobra.Command{
		Use:   "list (-e EXECUTION_ID | -d DEPLOYMENT_ID) [--follow]",
		Short: "List an execution's events (the latest execution of a deployment with -d)",
		Long: `List an execution's events in order. --follow keeps printing new events until
the execution ends (works from another shell while gantry runs it). --json prints NDJSON.`,
		Args: cmdutil.ExactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := f.Store()
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
			defer stop()
			if executionID == "" {
				if deploymentID == "" {
					return cmdutil.Exit(cmdutil.ExitUsage, errors.New("give --execution-id (-e) or --deployment-id (-d)"))
				}
				es, err := st.ListExecutions(ctx, deploymentID)
				if err != nil {
					return cmdutil.StoreError(err)
				}
				if len(es) == 0 {
					return cmdutil.Exit(cmdutil.ExitNotFound, fmt.Errorf("deployment %s has no executions", deploymentID))
				}
				executionID = es[len(es)-1].ID
			}
			if _, err := st.GetExecution(ctx, executionID); err != nil {
				return cmdutil.StoreError(err)
			}
			for {
				evs, err := st.Events(ctx, executionID, after, 1000)
				if err != nil {
					return cmdutil.StoreError(err)
				}
				for _, ev := range evs {
					if asJSON {
						_ = cmdutil.PrintNDJSON(f.IO.Out, ev)
					} else {
						fmt.Fprintln(f.IO.Out, cmdutil.FormatStoreEvent(ev))
					}
					after = ev.Seq
				}
				if len(evs) == 1000 {
					continue
				}
				if !follow {
					return nil
				}
				e, err := st.GetExecution(ctx, executionID)
				if err != nil {
					return cmdutil.StoreError(err)
				}
				if e.Status.Terminal() {
					// One last read: events written just before the status.
					if rest, err := st.Events(ctx, executionID, after, 0); err == nil && len(rest) > 0 {
						continue
					}
					return exitFor(e)
				}
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(200 * time.Millisecond):
				}
			}
		},
	}
	cmd.Flags().StringVarP(&executionID, "execution-id", "e", "", "the execution")
	cmd.Flags().StringVarP(&deploymentID, "deployment-id", "d", "", "the deployment (its latest execution)")
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing events until the execution ends")
	cmd.Flags().Uint64Var(&after, "after", 0, "only events after this sequence number")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print NDJSON")
	return cmd
}

// exitFor maps a followed execution's end to the exit code scripts expect.
func exitFor(e *store.Execution) error {
	switch e.Status {
	case store.ExecutionFailed:
		return cmdutil.Silent(cmdutil.ExitFailed)
	case store.ExecutionCancelled:
		return cmdutil.Silent(cmdutil.ExitCancelled)
	}
	return nil
}
