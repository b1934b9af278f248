package deployments

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gantryhq/gantry/cmd/cli/cmdutil"
	"github.com/gantryhq/gantry/cmd/cli/executions"
	"github.com/gantryhq/gantry/manager/api"
)

func newUpdateCmd(f *cmdutil.Factory) *cobra.Command {
	var flags cmdutil.BlueprintFlags
	var rf executions.RunFlags
	var blueprintID string
	var reinstall []string
	var preview, skipReinstall bool
	cmd := &cobra.Command{
		Use:   "update DEPLOYMENT_ID -b BLUEPRINT_ID [-i INPUTS]... [--preview] [--reinstall-list NODE]... [--skip-reinstall]",
		Short: "Update a deployment to another uploaded blueprint (Cloudify's deployment update)",
		Long: `Compute the change from the deployment's plan to the plan of the uploaded
blueprint BLUEPRINT_ID with the deployment's inputs overridden by -i (an input
left at its old default takes the new default), and apply it as one execution
of workflow update: removed relationships unlinked and removed instances
uninstalled, added instances installed and added relationships established,
then modified nodes reinstalled (those of --reinstall-list, and those whose
type, properties or operations changed unless --skip-reinstall). Everything
else keeps running. The deployment switches to the new blueprint, inputs and
plan only when the update succeeds; when an added instance fails to install,
the added instances are uninstalled again (rolled back). An interrupted
update resumes with 'gantry executions resume'.

--preview prints the change (--json: as JSON) and changes nothing.`,
		Args: cmdutil.ExactArgs(1, "DEPLOYMENT_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if blueprintID == "" {
				return cmdutil.Exit(cmdutil.ExitUsage, errors.New("--blueprint-id (-b) is required"))
			}
			rf.Apply(f)
			svc, inputs, err := flags.ServiceWithInputs(f)
			if err != nil {
				return err
			}
			req := api.UpdateDeploymentRequest{DeploymentID: args[0], BlueprintID: blueprintID, Inputs: inputs,
				ReinstallList: reinstall, SkipReinstall: skipReinstall, Preview: preview, Options: rf.Options(cmd, f)}
			u, err := svc.UpdateDeployment(context.Background(), req)
			if err != nil {
				return cmdutil.ProblemsOrError(f.IO, err)
			}
			if preview {
				if rf.JSON {
					return cmdutil.PrintJSON(f.IO.Out, u)
				}
				return writeUpdate(f.IO.Out, u)
			}
			if !rf.JSON {
				if err := writeUpdate(f.IO.ErrOut, u); err != nil {
					return err
				}
			}
			if _, err := rf.Follow(f, u.Run, "execution"); err != nil {
				return err
			}
			switch {
			case rf.JSON:
			case rf.DryRun:
				fmt.Fprintf(f.IO.Out, "dry run: deployment %s stays on blueprint %s\n", u.DeploymentID, u.OldBlueprintID)
			default:
				fmt.Fprintf(f.IO.Out, "deployment %s updated to blueprint %s\n", u.DeploymentID, u.BlueprintID)
			}
			return nil
		},
	}
	flags.Register(cmd, false)
	rf.Register(cmd)
	cmd.Flags().StringVarP(&blueprintID, "blueprint-id", "b", "", "the uploaded blueprint to update the deployment to")
	cmd.Flags().BoolVar(&preview, "preview", false, "print the change and apply nothing")
	cmd.Flags().StringSliceVarP(&reinstall, "reinstall-list", "r", nil, "nodes whose instances are reinstalled (repeatable or comma-separated)")
	cmd.Flags().BoolVar(&skipReinstall, "skip-reinstall", false, "do not reinstall nodes whose type, properties or operations changed")
	return cmd
}

// writeUpdate prints an update's change and what it does to instances.
func writeUpdate(w io.Writer, u *api.DeploymentUpdate) error {
	fmt.Fprintf(w, "deployment %s: blueprint %s -> %s\n", u.DeploymentID, u.OldBlueprintID, u.BlueprintID)
	if err := u.Change.WriteText(w); err != nil {
		return err
	}
	list := func(l []string) string {
		if len(l) == 0 {
			return "none"
		}
		return strings.Join(l, ", ")
	}
	_, err := fmt.Fprintf(w, "instances added: %s\ninstances removed: %s\nreinstalled: %s (nodes: %s)\n",
		list(u.AddedInstances), list(u.RemovedInstances), list(u.ReinstallInstances), list(u.ReinstallNodes))
	return err
}
