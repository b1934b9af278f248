package blueprints

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gantryhq/gantry/cmd/cli/cmdutil"
	"github.com/gantryhq/gantry/tosca/plan"
)

// The plan's output formats (--format).
const (
	planText     = "text"
	planCompact  = "compact"
	planCloudify = "cloudify"
)

func newPlanCmd(io *cmdutil.IOStreams) *cobra.Command {
	var flags cmdutil.BlueprintFlags
	var asJSON bool
	var format string
	cmd := &cobra.Command{
		Use:   "plan PATH",
		Short: "Show the deployment plan: nodes, node instances and dependency layers",
		Long: `Parse the blueprint, bind the inputs and expand the node instances, as a
deployment would, and print the plan: as text (the default), as compact JSON
(--json, or --format compact: each operation map written once and referred
to by index, see docs/plan-json.md), or as JSON in Cloudify's plan shape
(--format cloudify: nodes, node_instances, inputs, outputs, workflows,
groups, scaling_groups, every relationship with its operation maps).
--seed makes instance ids reproducible.`,
		Args: cmdutil.ExactArgs(1, "PATH"),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case format == "" && asJSON:
				format = planCompact
			case format == "":
				format = planText
			case format != planText && format != planCompact && format != planCloudify:
				return cmdutil.Exit(cmdutil.ExitUsage, fmt.Errorf("--format %q: want %s, %s or %s", format, planText, planCompact, planCloudify))
			case format == planText && asJSON:
				return cmdutil.Exit(cmdutil.ExitUsage, fmt.Errorf("--json and --format %s: choose one", planText))
			}
			p, problems, err := flags.Plan(args[0])
			if err != nil {
				return err
			}
			if len(problems) > 0 {
				if format != planText {
					_ = cmdutil.PrintJSON(io.Out, validateResult{Valid: false, Problems: problems})
				} else {
					printProblems(io, problems)
				}
				return cmdutil.Silent(cmdutil.ExitFailed)
			}
			switch format {
			case planCompact:
				// One node, node instance or operation set per line.
				return cmdutil.PrintJSONOutline(io.Out, p.Compact(), 2)
			case planCloudify:
				return cmdutil.PrintJSON(io.Out, p)
			}
			return plan.Summary(p, io.Out)
		},
	}
	flags.Register(cmd, true)
	flags.RegisterPlanOnly(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the plan as compact JSON (--format compact)")
	cmd.Flags().StringVar(&format, "format", "", "output format: text (default), compact (JSON, as --json) or cloudify (JSON in Cloudify's plan shape)")
	return cmd
}
