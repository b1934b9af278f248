// Command gantry is the Gantry orchestrator's command-line interface.
package main

import (
	"os"

	"github.com/gantryhq/gantry/cmd/cli"
	"github.com/gantryhq/gantry/cmd/cli/cmdutil"
	"github.com/gantryhq/gantry/plugins/script"
)

func main() {
	// Scripts call gantry through a `ctx` link on their PATH.
	script.RunCtxIfInvoked()
	os.Exit(cli.Main(os.Args[1:], cmdutil.SystemStreams()))
}
