// Command gantry is the Gantry orchestrator's command-line interface.
package main

import (
	"os"

	"github.com/spf13/cobra"
)

func main() {
	root := &cobra.Command{
		Use:           "gantry",
		Short:         "Gantry: a Cloudify-DSL orchestrator",
		SilenceUsage:  true,
		SilenceErrors: false,
	}
	if err := root.Execute(); err != nil {
		os.Exit(2)
	}
}
