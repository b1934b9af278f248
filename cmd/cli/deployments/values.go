package deployments

import (
	"context"
	"fmt"
	"sort"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/gantryhq/gantry/cmd/cli/cmdutil"
)

// newValuesCmd builds `deployments inputs|outputs|capabilities`.
func newValuesCmd(f *cmdutil.Factory, what string) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   what + " DEPLOYMENT_ID",
		Short: "Show a deployment's " + what,
		Args:  cmdutil.ExactArgs(1, "DEPLOYMENT_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := f.Service()
			if err != nil {
				return err
			}
			ctx := context.Background()
			var vals map[string]any
			switch what {
			case "inputs":
				d, gerr := svc.GetDeployment(ctx, args[0])
				if gerr != nil {
					return cmdutil.StoreError(gerr)
				}
				vals = d.Inputs
			case "outputs":
				vals, err = svc.Outputs(ctx, args[0])
			default:
				vals, err = svc.Capabilities(ctx, args[0])
			}
			if err != nil && vals == nil {
				return cmdutil.StoreError(err)
			}
			if vals == nil {
				vals = map[string]any{}
			}
			if asJSON {
				if perr := cmdutil.PrintJSON(f.IO.Out, vals); perr != nil {
					return perr
				}
			} else {
				PrintValues(f.IO, vals)
			}
			if err != nil {
				return cmdutil.StoreError(err)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// PrintValues prints name: value pairs, values in YAML flow style.
func PrintValues(io *cmdutil.IOStreams, vals map[string]any) {
	names := make([]string, 0, len(vals))
	for n := range vals {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) == 0 {
		fmt.Fprintln(io.Out, "(none)")
	}
	for _, n := range names {
		out, err := yaml.Marshal(map[string]any{n: vals[n]})
		if err != nil {
			fmt.Fprintf(io.Out, "%s: %v\n", n, vals[n])
			continue
		}
		fmt.Fprint(io.Out, string(out))
	}
}
