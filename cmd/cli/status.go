package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/gantryhq/gantry/cmd/cli/cmdutil"
	"github.com/gantryhq/gantry/manager/api"
)

// newStatusCmd is `gantry status`: which Service the commands use.
func newStatusCmd(f *cmdutil.Factory) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show where Gantry keeps its state (local store or server, profile); on etcd, its members, workers and claims",
		Args:  cmdutil.ExactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			info, err := f.Info(context.Background())
			if err != nil {
				return err
			}
			if asJSON {
				return cmdutil.PrintJSON(f.IO.Out, info)
			}
			fmt.Fprint(f.IO.Out, describe(info))
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// describe renders Info as "field: value" lines (the optional ones when set).
func describe(info *api.Info) string {
	s := where(*info) + fmt.Sprintf("version: %s\n", info.Version)
	if info.Cluster != nil {
		s += describeCluster(info.Cluster, time.Now())
	}
	return s
}

// where renders the mode, the store or server, and the profile and role
// when set.
func where(info api.Info) string {
	place := "store:"
	if info.Mode == api.ModeRemote {
		place = "server:"
	}
	s := fmt.Sprintf("mode:    %s\n%-8s %s\n", info.Mode, place, info.Store)
	if info.Profile != "" {
		s += fmt.Sprintf("profile: %s\n", info.Profile)
	}
	if info.Role != "" {
		s += fmt.Sprintf("role:    %s\n", info.Role)
	}
	return s
}
