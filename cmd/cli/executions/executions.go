package executions

import (
	"github.com/spf13/cobra"

	"github.com/gantryhq/gantry/cmd/cli/cmdutil"
)

// NewCmd returns `gantry executions` with its verbs.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "executions",
		Aliases: []string{"execution", "exec"},
		Short:   "Run workflows and follow, cancel or resume their executions",
	}
	cmd.AddCommand(newStartCmd(f), newListCmd(f), newGetCmd(f), newCancelCmd(f), newResumeCmd(f))
	return cmd
}
