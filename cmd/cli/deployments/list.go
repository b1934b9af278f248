package deployments

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gantryhq/gantry/cmd/cli/cmdutil"
	"github.com/gantryhq/gantry/manager/api"
)

func newListCmd(f *cmdutil.Factory) *cobra.Command {
	var blueprintID string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List deployments",
		Args:  cmdutil.ExactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := f.Service()
			if err != nil {
				return err
			}
			ds, err := svc.ListDeployments(context.Background(), blueprintID)
			if err != nil {
				return cmdutil.StoreError(err)
			}
			if asJSON {
				if ds == nil {
					ds = []*api.Deployment{}
				}
				return cmdutil.PrintJSON(f.IO.Out, ds)
			}
			rows := make([][]string, len(ds))
			for i, d := range ds {
				rows[i] = []string{d.ID, d.BlueprintID, cmdutil.When(d.CreatedAt), cmdutil.OrDash(d.Description)}
			}
			cmdutil.Table(f.IO.Out, []string{"ID", "BLUEPRINT", "CREATED", "DESCRIPTION"}, rows)
			return nil
		},
	}
	cmd.Flags().StringVarP(&blueprintID, "blueprint-id", "b", "", "only deployments of this blueprint")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newGetCmd(f *cmdutil.Factory) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "get DEPLOYMENT_ID",
		Short: "Show a deployment: its blueprint, nodes and instance states",
		Args:  cmdutil.ExactArgs(1, "DEPLOYMENT_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := f.Service()
			if err != nil {
				return err
			}
			ctx := context.Background()
			d, err := svc.GetDeployment(ctx, args[0])
			if err != nil {
				return cmdutil.StoreError(err)
			}
			if d.Plan, err = svc.DeploymentPlan(ctx, d.ID); err != nil {
				return cmdutil.StoreError(err)
			}
			insts, err := svc.ListNodeInstances(ctx, d.ID, "")
			if err != nil {
				return cmdutil.StoreError(err)
			}
			if asJSON {
				return cmdutil.PrintJSON(f.IO.Out, d)
			}
			states := map[string]int{}
			for _, ni := range insts {
				states[string(ni.State)]++
			}
			var parts []string
			for s, n := range states {
				parts = append(parts, fmt.Sprintf("%d %s", n, s))
			}
			sort.Strings(parts)
			fmt.Fprintf(f.IO.Out, "id:             %s\nblueprint:      %s\ncreated:        %s\nnodes:          %d\nnode instances: %d (%s)\n",
				d.ID, d.BlueprintID, cmdutil.When(d.CreatedAt), len(d.Plan.Nodes), len(insts), strings.Join(parts, ", "))
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (with the plan)")
	return cmd
}

func newDeleteCmd(f *cmdutil.Factory) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "delete DEPLOYMENT_ID",
		Short: "Delete a deployment and its history",
		Long: `Delete a deployment with its node instances, executions and events. Refused while
an execution runs, while another deployment depends on it (through a
DeploymentProxy or get_capability), or while any of its node instances is live
(neither uninitialized nor deleted: run ` + "`gantry uninstall`" + ` first), unless --force.`,
		Args: cmdutil.ExactArgs(1, "DEPLOYMENT_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := f.Service()
			if err != nil {
				return err
			}
			if err := svc.DeleteDeployment(context.Background(), args[0], force); err != nil {
				return cmdutil.StoreError(err)
			}
			fmt.Fprintf(f.IO.Out, "deployment %s deleted\n", args[0])
			return nil
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "delete even with dependents, live node instances or a running execution")
	return cmd
}
