package cmdutil

import (
	"errors"
	"fmt"

	"github.com/gantryhq/gantry/manager/api"
)

// ProblemsOrError prints blueprint/input problems one per line (exit 1), or
// maps any other error to its exit code.
func ProblemsOrError(io *IOStreams, err error) error {
	var pe *api.ProblemsError
	if errors.As(err, &pe) {
		for _, p := range pe.Problems {
			fmt.Fprintln(io.ErrOut, p.String())
		}
		fmt.Fprintf(io.ErrOut, "%d problem(s)\n", len(pe.Problems))
		return Silent(ExitFailed)
	}
	return StoreError(err)
}
