package deployments

import (
	"github.com/spf13/cobra"

	"github.com/gantryhq/gantry/cmd/cli/cmdutil"
)

// NewCmd returns `gantry deployments` with its verbs.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "deployments",
		Aliases: []string{"deployment", "dep"},
		Short:   "Create, inspect and delete deployments",
	}
	cmd.AddCommand(newCreateCmd(f), newListCmd(f), newGetCmd(f), newUpdateCmd(f), newDeleteCmd(f),
		newValuesCmd(f, "inputs"), newValuesCmd(f, "outputs"), newValuesCmd(f, "capabilities"))
	return cmd
}
