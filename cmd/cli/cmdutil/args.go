package cmdutil

import (
	"fmt"

	"github.com/spf13/cobra"
)

// ExactArgs is cobra.ExactArgs whose error maps to ExitUsage and names the
// missing argument.
func ExactArgs(n int, names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == n {
			return nil
		}
		what := fmt.Sprintf("%d argument(s)", n)
		if len(names) > 0 {
			what = fmt.Sprint(names)
		}
		return Exit(ExitUsage, fmt.Errorf("%s expects %s, got %d (see `%s --help`)", cmd.CommandPath(), what, len(args), cmd.CommandPath()))
	}
}
