package deployments

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gantryhq/gantry/cmd/cli/cmdutil"
	"github.com/gantryhq/gantry/manager/api"
)

func newCreateCmd(f *cmdutil.Factory) *cobra.Command {
	var flags cmdutil.BlueprintFlags
	var blueprintID string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "create [DEPLOYMENT_ID] -b BLUEPRINT_ID [-i INPUTS]...",
		Short: "Plan a deployment of an uploaded blueprint",
		Long: `Bind the inputs, evaluate the blueprint's functions and plan the node
instances; nothing runs until an install. The deployment id defaults to the blueprint id.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if blueprintID == "" {
				return cmdutil.Exit(cmdutil.ExitUsage, errors.New("--blueprint-id (-b) is required"))
			}
			id := ""
			if len(args) == 1 {
				id = args[0]
			}
			svc, inputs, err := flags.ServiceWithInputs(f)
			if err != nil {
				return err
			}
			d, err := svc.CreateDeployment(context.Background(), api.CreateDeploymentRequest{ID: id, BlueprintID: blueprintID, Inputs: inputs, Seed: flags.Seed})
			if err != nil {
				return cmdutil.ProblemsOrError(f.IO, err)
			}
			if asJSON {
				return cmdutil.PrintJSON(f.IO.Out, d)
			}
			fmt.Fprintf(f.IO.Out, "deployment %s created from blueprint %s: %d node(s), %d node instance(s)\n",
				d.ID, d.BlueprintID, len(d.Plan.Nodes), len(d.Plan.NodeInstances))
			return nil
		},
	}
	flags.Register(cmd, true)
	cmd.Flags().StringVarP(&blueprintID, "blueprint-id", "b", "", "the uploaded blueprint to deploy")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the deployment as JSON")
	return cmd
}
