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
	var blueprint, blueprintID string
	var reinstall []string
	var preview, skipReinstall bool
	cmd := &cobra.Command{
		Use:   "update DEPLOYMENT_ID -b BLUEPRINT [--blueprint-id ID] [-i INPUTS]... [--preview] [--reinstall-list NODE]... [--skip-reinstall]",
		Short: "Update a deployment to another blueprint, uploaded or given as a path (Cloudify's deployment update)",
		Long: `BLUEPRINT is read as install reads its PATH: when a file or folder exists
there (a folder holding blueprint.yaml, a main file, or a .tar.gz, .tgz or .zip
archive of one), it is uploaded first, as --blueprint-id or an id derived from
the path (the folder's name, the archive's name); an identical upload of that
id is reused, one with other files refused. Otherwise BLUEPRINT is the id of
an uploaded blueprint (--blueprint-id ID alone names one too).

Compute the change from the deployment's plan to the blueprint's plan with
the deployment's inputs overridden by -i (an input left at its old default
takes the new default), and apply it as one execution of workflow update:
removed relationships unlinked and removed instances uninstalled, added
instances installed and added relationships established, then modified nodes
reinstalled (those of --reinstall-list, and those whose type, properties or
operations changed unless --skip-reinstall). Everything else keeps running.
The deployment switches to the new blueprint, inputs and plan only when the
update succeeds, in the same store write that ends the execution; when an
added instance fails to install, the added instances are uninstalled again
(rolled back). An interrupted update resumes with 'gantry executions resume'.
--detach queues it for a worker (a shared etcd store), which plans it again
with the same new instance ids and runs it.

--preview prints the change (--json: as JSON) and changes no deployment (a
BLUEPRINT path is uploaded all the same).`,
		Args: cmdutil.ExactArgs(1, "DEPLOYMENT_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if blueprint == "" && blueprintID == "" {
				return cmdutil.Exit(cmdutil.ExitUsage, errors.New("--blueprint (-b) is required: a blueprint path or an uploaded blueprint's id"))
			}
			rf.Apply(f)
			svc, inputs, err := flags.ServiceWithInputs(f)
			if err != nil {
				return err
			}
			req := api.UpdateDeploymentRequest{DeploymentID: args[0], Blueprint: blueprint, BlueprintID: blueprintID, Inputs: inputs,
				ReinstallList: reinstall, SkipReinstall: skipReinstall, Preview: preview, Options: rf.Options(cmd, f)}
			u, err := svc.UpdateDeployment(context.Background(), req)
			if err != nil {
				return cmdutil.ProblemsOrError(f.IO, err)
			}
			if u.BlueprintUploaded && !rf.JSON {
				fmt.Fprintf(f.IO.ErrOut, "blueprint %s uploaded\n", u.BlueprintID)
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
			if rf.Detach && rf.JSON {
				return cmdutil.PrintJSON(f.IO.Out, u) // the change and the queued execution
			}
			if rf.Detach {
				return rf.Queued(f, u.Execution)
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
	rf.RegisterDetach(cmd)
	cmd.Flags().StringVarP(&blueprint, "blueprint", "b", "", "the blueprint to update the deployment to: a path (folder, main file or archive) uploaded first, else an uploaded blueprint's id")
	cmd.Flags().StringVar(&blueprintID, "blueprint-id", "", "the id to upload a -b path as (default: derived from the path), or alone an uploaded blueprint's id")
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
