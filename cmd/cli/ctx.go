package cli

import (
	"github.com/spf13/cobra"

	"github.com/gantryhq/gantry/cmd/cli/cmdutil"
	"github.com/gantryhq/gantry/plugins/script"
)

// newCtxCmd is `gantry ctx ...`, the command scripts use to reach their
// operation context (also installed on their PATH as `ctx`).
func newCtxCmd() *cobra.Command {
	return &cobra.Command{
		Use:                "ctx ARGS...",
		Short:              "Talk to the running operation from a script (see docs/scripts.md)",
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if code := script.CtxMain(args); code != 0 {
				return cmdutil.Silent(code)
			}
			return nil
		},
	}
}
