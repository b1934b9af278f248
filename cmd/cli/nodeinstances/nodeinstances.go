package nodeinstances

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/gantryhq/gantry/cmd/cli/cmdutil"
	"github.com/gantryhq/gantry/manager/api"
)

// NewCmd returns `gantry node-instances`.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "node-instances",
		Aliases: []string{"node-instance", "ni"},
		Short:   "Show node instances: states and runtime properties",
	}
	cmd.AddCommand(newListCmd(f), newGetCmd(f))
	return cmd
}

func newListCmd(f *cmdutil.Factory) *cobra.Command {
	var deploymentID, nodeID string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list -d DEPLOYMENT_ID [--node-id NODE]",
		Short: "List a deployment's node instances",
		Args:  cmdutil.ExactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if deploymentID == "" {
				return cmdutil.Exit(cmdutil.ExitUsage, errors.New("--deployment-id (-d) is required"))
			}
			svc, err := f.Service()
			if err != nil {
				return err
			}
			insts, err := svc.ListNodeInstances(context.Background(), deploymentID, nodeID)
			if err != nil {
				return cmdutil.StoreError(err)
			}
			if asJSON {
				if insts == nil {
					insts = []*api.NodeInstance{}
				}
				return cmdutil.PrintJSON(f.IO.Out, insts)
			}
			rows := make([][]string, len(insts))
			for i, ni := range insts {
				rows[i] = []string{ni.ID, ni.NodeID, string(ni.State), cmdutil.OrDash(ni.HostID), fmt.Sprint(len(ni.RuntimeProperties))}
			}
			cmdutil.Table(f.IO.Out, []string{"ID", "NODE", "STATE", "HOST", "RUNTIME PROPS"}, rows)
			return nil
		},
	}
	cmd.Flags().StringVarP(&deploymentID, "deployment-id", "d", "", "the deployment")
	cmd.Flags().StringVar(&nodeID, "node-id", "", "only this node's instances")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newGetCmd(f *cmdutil.Factory) *cobra.Command {
	var deploymentID string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "get NODE_INSTANCE_ID -d DEPLOYMENT_ID",
		Short: "Show a node instance with its runtime properties",
		Args:  cmdutil.ExactArgs(1, "NODE_INSTANCE_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if deploymentID == "" {
				return cmdutil.Exit(cmdutil.ExitUsage, errors.New("--deployment-id (-d) is required"))
			}
			svc, err := f.Service()
			if err != nil {
				return err
			}
			ni, err := svc.GetNodeInstance(context.Background(), deploymentID, args[0])
			if err != nil {
				return cmdutil.StoreError(err)
			}
			if asJSON {
				return cmdutil.PrintJSON(f.IO.Out, ni)
			}
			fmt.Fprintf(f.IO.Out, "id:      %s\nnode:    %s\nstate:   %s\nhost:    %s\nversion: %d\nruntime properties:\n", ni.ID, ni.NodeID, ni.State, cmdutil.OrDash(ni.HostID), ni.Version)
			out, _ := yaml.Marshal(ni.RuntimeProperties)
			for _, line := range splitLines(string(out)) {
				fmt.Fprintf(f.IO.Out, "  %s\n", line)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&deploymentID, "deployment-id", "d", "", "the deployment")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}
