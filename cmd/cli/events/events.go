package events

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"

	"github.com/spf13/cobra"

	"github.com/gantryhq/gantry/cmd/cli/cmdutil"
	"github.com/gantryhq/gantry/manager/api"
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
			if executionID == "" && deploymentID == "" {
				return cmdutil.Exit(cmdutil.ExitUsage, errors.New("give --execution-id (-e) or --deployment-id (-d)"))
			}
			svc, err := f.Service()
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
			defer stop()
			if executionID == "" {
				es, err := svc.ListExecutions(ctx, deploymentID)
				if err != nil {
					return cmdutil.StoreError(err)
				}
				if len(es) == 0 {
					return cmdutil.Exit(cmdutil.ExitNotFound, fmt.Errorf("deployment %s has no executions", deploymentID))
				}
				executionID = es[len(es)-1].ID
			}
			show := func(ev *api.Event) error {
				if asJSON {
					return cmdutil.PrintNDJSON(f.IO.Out, ev)
				}
				_, err := fmt.Fprintln(f.IO.Out, cmdutil.FormatEvent(ev))
				return err
			}
			if !follow {
				return listEvents(ctx, svc, executionID, after, show)
			}
			e, err := svc.FollowEvents(ctx, executionID, after, show)
			if ctx.Err() != nil {
				return nil // Ctrl-C: the user stopped following
			}
			if err != nil {
				return cmdutil.StoreError(err)
			}
			return exitFor(e)
		},
	}
	cmd.Flags().StringVarP(&executionID, "execution-id", "e", "", "the execution")
	cmd.Flags().StringVarP(&deploymentID, "deployment-id", "d", "", "the deployment (its latest execution)")
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing events until the execution ends")
	cmd.Flags().Uint64Var(&after, "after", 0, "only events after this sequence number")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print NDJSON")
	return cmd
}

// eventsPage is how many events one read returns.
const eventsPage = 1000

// listEvents prints the events recorded so far, a page at a time.
func listEvents(ctx context.Context, svc api.Service, executionID string, after uint64, show func(*api.Event) error) error {
	for {
		evs, err := svc.Events(ctx, executionID, after, eventsPage)
		if err != nil {
			return cmdutil.StoreError(err)
		}
		for _, ev := range evs {
			if err := show(ev); err != nil {
				return err
			}
			after = ev.Seq
		}
		if len(evs) < eventsPage {
			return nil
		}
	}
}

// exitFor maps a followed execution's end to the exit code scripts expect.
func exitFor(e *api.Execution) error {
	switch e.Status {
	case api.ExecutionFailed:
		return cmdutil.Silent(cmdutil.ExitFailed)
	case api.ExecutionCancelled:
		return cmdutil.Silent(cmdutil.ExitCancelled)
	}
	return nil
}
