package blueprints

import (
	"github.com/spf13/cobra"

	"github.com/gantryhq/gantry/cmd/cli/cmdutil"
	"github.com/gantryhq/gantry/tosca/plan"
)

func newPlanCmd(io *cmdutil.IOStreams) *cobra.Command {
	var flags cmdutil.BlueprintFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "plan PATH",
		Short: "Show the deployment plan: nodes, node instances and dependency layers",
		Long: `Parse the blueprint, bind the inputs and expand the node instances, as a
deployment would. --json prints the plan in Cloudify's shape (nodes, node_instances,
inputs, outputs, workflows, groups, scaling_groups); --seed makes instance ids reproducible.`,
		Args: cmdutil.ExactArgs(1, "PATH"),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, problems, err := flags.Plan(args[0])
			if err != nil {
				return err
			}
			if len(problems) > 0 {
				if asJSON {
					_ = cmdutil.PrintJSON(io.Out, validateResult{Valid: false, Problems: problems})
				} else {
					printProblems(io, problems)
				}
				return cmdutil.Silent(cmdutil.ExitFailed)
			}
			if asJSON {
				return cmdutil.PrintJSON(io.Out, p)
			}
			return plan.Summary(p, io.Out)
		},
	}
	flags.Register(cmd, true)
	flags.RegisterPlanOnly(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the plan as JSON")
	return cmd
}
