// Command gantry is the Gantry orchestrator's command-line interface.
package main

import (
	"os"

	"github.com/gantryhq/gantry/cmd/cli"
	"github.com/gantryhq/gantry/cmd/cli/cmdutil"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], cmdutil.SystemStreams()))
}
