package blueprints

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gantryhq/gantry/cmd/cli/cmdutil"
	"github.com/gantryhq/gantry/tosca"
)

type validateResult struct {
	Valid    bool            `json:"valid"`
	Problems []tosca.Problem `json:"problems"`
}

func newValidateCmd(io *cmdutil.IOStreams) *cobra.Command {
	var flags cmdutil.BlueprintFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "validate PATH",
		Short: "Check a blueprint and report every problem with file:line:col",
		Long: `Parse and validate a blueprint, its imports and (when inputs are given) the
deployment inputs. Every problem is reported at once. Exit 0 when valid, 1 with problems.`,
		Args: cmdutil.ExactArgs(1, "PATH"),
		RunE: func(cmd *cobra.Command, args []string) error {
			problems, err := validate(&flags, args[0])
			if err != nil {
				return err
			}
			if asJSON {
				if err := cmdutil.PrintJSON(io.Out, validateResult{Valid: len(problems) == 0, Problems: nonNil(problems)}); err != nil {
					return err
				}
			} else if len(problems) == 0 {
				fmt.Fprintf(io.Out, "%s: valid\n", args[0])
			} else {
				printProblems(io, problems)
			}
			if len(problems) > 0 {
				return cmdutil.Silent(cmdutil.ExitFailed)
			}
			return nil
		},
	}
	flags.Register(cmd, false)
	flags.RegisterPlanOnly(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print {valid, problems} as JSON")
	return cmd
}

// validate parses the blueprint, and prepares it with the inputs when some are given.
func validate(flags *cmdutil.BlueprintFlags, path string) (tosca.Problems, error) {
	bp, problems, err := flags.Parse(path)
	if err != nil || len(problems) > 0 || len(flags.Inputs) == 0 {
		return problems, err
	}
	inputs, err := tosca.ParseInputs(flags.Inputs)
	if err != nil {
		return nil, cmdutil.Exit(cmdutil.ExitUsage, err)
	}
	_, problems = bp.Prepare(inputs)
	return problems, nil
}

func printProblems(io *cmdutil.IOStreams, problems tosca.Problems) {
	for _, p := range problems {
		fmt.Fprintln(io.ErrOut, p.String())
	}
	fmt.Fprintf(io.ErrOut, "%d problem(s)\n", len(problems))
}

func nonNil(p tosca.Problems) []tosca.Problem {
	if p == nil {
		return []tosca.Problem{}
	}
	return p
}
