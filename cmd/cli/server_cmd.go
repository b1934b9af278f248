package cli

import (
	"github.com/spf13/cobra"

	"github.com/gantryhq/gantry/cmd/cli/cmdutil"
	"github.com/gantryhq/gantry/cmd/cli/tokens"
)

// newServerCmd is `gantry server`'s parent until the command that runs the
// server lands (cmd/cli/server): that command takes tokens.NewCmds(f) as
// its children and replaces this file.
func newServerCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "server",
		Short: "A shared gantry server: its tokens and audit log",
	}
	cmd.AddCommand(tokens.NewCmds(f)...)
	return cmd
}
