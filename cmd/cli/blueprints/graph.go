package blueprints

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gantryhq/gantry/cmd/cli/cmdutil"
	"github.com/gantryhq/gantry/tosca/plan"
)

func newGraphCmd(io *cmdutil.IOStreams) *cobra.Command {
	var flags cmdutil.BlueprintFlags
	var format string
	var instances bool
	cmd := &cobra.Command{
		Use:   "graph PATH",
		Short: "Draw the topology as Graphviz DOT or Mermaid",
		Long: `Print the blueprint's topology for a renderer: node templates (or, with
--instances, node instances) with contained_in drawn as nesting and
connected_to / depends_on as labelled edges.

  gantry blueprints graph bp.yaml | dot -Tsvg > topology.svg`,
		Args: cmdutil.ExactArgs(1, "PATH"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "dot" && format != "mermaid" {
				return cmdutil.Exit(cmdutil.ExitUsage, fmt.Errorf("--format %q: want dot or mermaid", format))
			}
			p, problems, err := flags.Plan(args[0])
			if err != nil {
				return err
			}
			if len(problems) > 0 {
				printProblems(io, problems)
				return cmdutil.Silent(cmdutil.ExitFailed)
			}
			opts := plan.RenderOptions{Instances: instances}
			if format == "mermaid" {
				return plan.RenderMermaid(p, io.Out, opts)
			}
			return plan.RenderDOT(p, io.Out, opts)
		},
	}
	flags.Register(cmd, true)
	cmd.Flags().StringVar(&format, "format", "dot", "output format: dot or mermaid")
	cmd.Flags().BoolVar(&instances, "instances", false, "draw node instances instead of node templates")
	return cmd
}
