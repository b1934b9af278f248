package blueprints

import (
	"github.com/spf13/cobra"

	"github.com/gantryhq/gantry/cmd/cli/cmdutil"
)

// NewCmd returns `gantry blueprints` with its verbs.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	io := f.IO
	cmd := &cobra.Command{
		Use:     "blueprints",
		Aliases: []string{"blueprint", "bp"},
		Short:   "Validate, plan and draw blueprints; manage uploaded ones",
	}
	cmd.AddCommand(newValidateCmd(io), newPlanCmd(io), newGraphCmd(io),
		newUploadCmd(f), newListCmd(f), newGetCmd(f), newDeleteCmd(f))
	return cmd
}
