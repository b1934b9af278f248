package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gantryhq/gantry/cmd/cli/blueprints"
	"github.com/gantryhq/gantry/cmd/cli/cmdutil"
	"github.com/gantryhq/gantry/cmd/cli/deployments"
	"github.com/gantryhq/gantry/cmd/cli/events"
	"github.com/gantryhq/gantry/cmd/cli/executions"
	"github.com/gantryhq/gantry/cmd/cli/nodeinstances"
	"github.com/gantryhq/gantry/cmd/cli/profiles"
	"github.com/gantryhq/gantry/cmd/cli/secrets"
	"github.com/gantryhq/gantry/cmd/cli/server"
	"github.com/gantryhq/gantry/cmd/cli/shortcuts"
	"github.com/gantryhq/gantry/cmd/cli/store"
	"github.com/gantryhq/gantry/cmd/cli/tokens"
	"github.com/gantryhq/gantry/cmd/cli/worker"
)

// Version is set at build time with -ldflags "-X ...cli.Version=...".
var Version = "dev"

// NewRoot builds the whole command tree on the factory's streams.
func NewRoot(f *cmdutil.Factory) *cobra.Command {
	io := f.IO
	root := &cobra.Command{
		Use:   "gantry",
		Short: "Gantry: a fast, scriptable orchestrator for Cloudify DSL blueprints",
		Long: `Gantry parses, plans and runs Cloudify DSL 1.3 blueprints.

Exit codes: 0 ok, 1 failed (problems or a failed execution), 2 usage error,
3 cancelled, 4 not found, 5 busy or refused, 6 internal error.`,
		Version:       Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(io.In)
	root.SetOut(io.Out)
	root.SetErr(io.ErrOut)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return cmdutil.Exit(cmdutil.ExitUsage, fmt.Errorf("%w (see `%s --help`)", err, cmd.CommandPath()))
	})
	f.RegisterGlobalFlags(root)
	f.Version = Version
	// --version also tells where the state is, without connecting: a
	// template function, as --store is parsed by the time it runs.
	cobra.AddTemplateFunc("gantryWhere", func() string { return where(f.Describe()) })
	root.SetVersionTemplate("gantry version {{.Version}}\n{{gantryWhere}}")
	root.AddCommand(blueprints.NewCmd(f), deployments.NewCmd(f), executions.NewCmd(f), events.NewCmd(f),
		nodeinstances.NewCmd(f), secrets.NewCmd(f), shortcuts.NewInstallCmd(f), shortcuts.NewUninstallCmd(f), newStatusCmd(f), newCtxCmd())
	root.AddCommand(profiles.NewCmd(f), server.NewCmd(f, tokens.NewCmds(f)...), store.NewCmd(f), worker.NewCmd(f))
	return root
}

// Main runs gantry with args (without the program name) and returns the exit code.
func Main(args []string, io *cmdutil.IOStreams) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(io.ErrOut, "gantry: internal error: %v (please report this)\n", r)
			code = cmdutil.ExitInternal
		}
	}()
	f := cmdutil.NewFactory(io)
	defer f.Close()
	root := NewRoot(f)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return cmdutil.ExitOK
	}
	code = cmdutil.ExitCode(err)
	var ee *cmdutil.ExitError
	if !errors.As(err, &ee) && isUsageError(err) {
		code = cmdutil.ExitUsage
	}
	if msg := err.Error(); !(errors.As(err, &ee) && ee.Err == nil) && msg != "" {
		fmt.Fprintf(io.ErrOut, "Error: %s\n", msg)
	}
	return code
}

// isUsageError recognises cobra's own command-line errors.
func isUsageError(err error) bool {
	msg := err.Error()
	for _, s := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "accepts ", "requires at least", "invalid argument"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
