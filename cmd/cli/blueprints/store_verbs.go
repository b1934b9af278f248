package blueprints

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gantryhq/gantry/cmd/cli/cmdutil"
	"github.com/gantryhq/gantry/manager/api"
)

func newUploadCmd(f *cmdutil.Factory) *cobra.Command {
	var flags cmdutil.BlueprintFlags
	var id string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "upload PATH",
		Short: "Validate a blueprint and store it with every file of its folder",
		Long: `Validate the blueprint (PATH: its main file, or a folder holding blueprint.yaml)
and store it, with every file of its folder, under an id (default: the folder's name).
Deployments use the stored copy: editing or deleting the source folder later does not
affect them.`,
		Args: cmdutil.ExactArgs(1, "PATH"),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := flags.Service(f)
			if err != nil {
				return err
			}
			bp, err := svc.UploadBlueprint(context.Background(), id, args[0])
			var pe *api.ProblemsError
			if errors.As(err, &pe) {
				printProblems(f.IO, pe.Problems)
				return cmdutil.Silent(cmdutil.ExitFailed)
			}
			if err != nil {
				return cmdutil.StoreError(err)
			}
			if asJSON {
				return cmdutil.PrintJSON(f.IO.Out, bp)
			}
			fmt.Fprintf(f.IO.Out, "blueprint %s uploaded (%d bytes of files)\n", bp.ID, bp.ArchiveSize)
			return nil
		},
	}
	flags.Register(cmd, false)
	cmd.Flags().StringVarP(&id, "blueprint-id", "b", "", "blueprint id (default: the folder's name)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the stored blueprint as JSON")
	return cmd
}

func newListCmd(f *cmdutil.Factory) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List uploaded blueprints",
		Args:  cmdutil.ExactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := f.Service()
			if err != nil {
				return err
			}
			bps, err := svc.ListBlueprints(context.Background())
			if err != nil {
				return cmdutil.StoreError(err)
			}
			if asJSON {
				if bps == nil {
					bps = []*api.Blueprint{}
				}
				return cmdutil.PrintJSON(f.IO.Out, bps)
			}
			rows := make([][]string, len(bps))
			for i, b := range bps {
				rows[i] = []string{b.ID, b.MainFile, cmdutil.When(b.CreatedAt), cmdutil.OrDash(b.Description)}
			}
			cmdutil.Table(f.IO.Out, []string{"ID", "MAIN FILE", "CREATED", "DESCRIPTION"}, rows)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newGetCmd(f *cmdutil.Factory) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "get BLUEPRINT_ID",
		Short: "Show an uploaded blueprint",
		Args:  cmdutil.ExactArgs(1, "BLUEPRINT_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := f.Service()
			if err != nil {
				return err
			}
			bp, err := svc.GetBlueprint(context.Background(), args[0])
			if err != nil {
				return cmdutil.StoreError(err)
			}
			if asJSON {
				return cmdutil.PrintJSON(f.IO.Out, bp)
			}
			fmt.Fprintf(f.IO.Out, "id:          %s\nmain file:   %s\nsource:      %s\ncreated:     %s\nfiles:       %d bytes (sha256 %s)\ndescription: %s\n",
				bp.ID, bp.MainFile, cmdutil.OrDash(bp.Source), cmdutil.When(bp.CreatedAt), bp.ArchiveSize, bp.ArchiveSHA256, cmdutil.OrDash(bp.Description))
			if len(bp.Imports) > 0 {
				fmt.Fprintf(f.IO.Out, "imports:     %s\n", strings.Join(bp.Imports, ", "))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newDeleteCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "delete BLUEPRINT_ID",
		Short: "Delete an uploaded blueprint no deployment uses",
		Args:  cmdutil.ExactArgs(1, "BLUEPRINT_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := f.Service()
			if err != nil {
				return err
			}
			if err := svc.DeleteBlueprint(context.Background(), args[0]); err != nil {
				return cmdutil.StoreError(err)
			}
			fmt.Fprintf(f.IO.Out, "blueprint %s deleted\n", args[0])
			return nil
		},
	}
}
