package shortcuts

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gantryhq/gantry/cmd/cli/cmdutil"
	"github.com/gantryhq/gantry/cmd/cli/deployments"
	"github.com/gantryhq/gantry/cmd/cli/executions"
	"github.com/gantryhq/gantry/manager/api"
)

// NewInstallCmd returns `gantry install`.
func NewInstallCmd(f *cmdutil.Factory) *cobra.Command {
	var flags cmdutil.BlueprintFlags
	var rf executions.RunFlags
	var blueprintID, deploymentID string
	cmd := &cobra.Command{
		Use:   "install PATH [-b BLUEPRINT_ID] [-d DEPLOYMENT_ID] [-i INPUTS]...",
		Short: "Upload a blueprint, create a deployment and install it; print the outputs",
		Long: `Upload the blueprint at PATH (a main file, or a folder holding blueprint.yaml),
create a deployment of it with the inputs, run install, and print the outputs.
Ids default to the blueprint folder's name. Running install again on an
installed deployment does nothing; on a failed one, prefer
'gantry executions resume ID', which skips what completed.`,
		Args: cmdutil.ExactArgs(1, "PATH"),
		RunE: func(cmd *cobra.Command, args []string) error {
			rf.Apply(f)
			svc, inputs, err := flags.ServiceWithInputs(f)
			if err != nil {
				return err
			}
			ctx := context.Background()
			started, err := svc.Install(ctx, api.InstallRequest{
				Path: args[0], BlueprintID: blueprintID, DeploymentID: deploymentID,
				Inputs: inputs, Seed: flags.Seed, Options: rf.Options(cmd, f),
			})
			if err != nil {
				return cmdutil.ProblemsOrError(f.IO, err)
			}
			if !rf.JSON {
				announceInstall(f.IO, started)
			}
			if rf.Detach {
				return rf.Queued(f, started.Run.Execution())
			}
			if _, err := rf.Follow(f, started.Run, "execution"); err != nil {
				return err
			}
			if rf.DryRun || rf.JSON {
				return nil
			}
			id := started.Deployment.ID
			out, err := svc.Outputs(ctx, id)
			fmt.Fprintf(f.IO.Out, "outputs of %s:\n", id)
			deployments.PrintValues(f.IO, out)
			return cmdutil.StoreError(err)
		},
	}
	flags.Register(cmd, true)
	rf.Register(cmd)
	rf.RegisterDetach(cmd)
	cmd.Flags().StringVarP(&blueprintID, "blueprint-id", "b", "", "blueprint id (default: the folder's name)")
	cmd.Flags().StringVarP(&deploymentID, "deployment-id", "d", "", "deployment id (default: the blueprint id)")
	return cmd
}

// NewUninstallCmd returns `gantry uninstall`.
func NewUninstallCmd(f *cmdutil.Factory) *cobra.Command {
	var rf executions.RunFlags
	var force, ignoreFailure, keepBlueprint bool
	cmd := &cobra.Command{
		Use:   "uninstall DEPLOYMENT_ID",
		Short: "Uninstall a deployment, delete it, and delete its blueprint if unused",
		Long: `Run uninstall, then delete the deployment, then delete its blueprint when no
other deployment uses it. Refused while another deployment depends on this one
(through a DeploymentProxy) unless --force.`,
		Args: cmdutil.ExactArgs(1, "DEPLOYMENT_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			rf.Apply(f)
			svc, err := f.Service()
			if err != nil {
				return err
			}
			ctx := context.Background()
			d, err := svc.GetDeployment(ctx, args[0])
			if err != nil {
				return cmdutil.StoreError(err)
			}
			run, err := svc.Uninstall(ctx, api.UninstallRequest{
				DeploymentID: d.ID, Force: force, IgnoreFailure: ignoreFailure, KeepBlueprint: keepBlueprint,
				Options: rf.Options(cmd, f),
			})
			if err != nil {
				return cmdutil.StoreError(err)
			}
			if rf.Detach {
				return rf.Queued(f, run.Execution())
			}
			if _, err := rf.Follow(f, run, "execution"); err != nil {
				return err
			}
			if rf.DryRun || rf.JSON {
				return nil
			}
			msg := fmt.Sprintf("deployment %s uninstalled and deleted", d.ID)
			if _, err := svc.GetBlueprint(ctx, d.BlueprintID); errors.Is(err, api.ErrNotFound) {
				msg += fmt.Sprintf("; blueprint %s deleted", d.BlueprintID)
			}
			fmt.Fprintln(f.IO.ErrOut, msg)
			return nil
		},
	}
	rf.Register(cmd)
	rf.RegisterDetach(cmd)
	cmd.Flags().BoolVarP(&force, "force", "f", false, "uninstall even when other deployments depend on this one")
	cmd.Flags().BoolVar(&ignoreFailure, "ignore-failure", false, "go on when operations fail")
	cmd.Flags().BoolVar(&keepBlueprint, "keep-blueprint", false, "do not delete the blueprint")
	return cmd
}

// announceInstall tells what Install did before the workflow started.
func announceInstall(io *cmdutil.IOStreams, s *api.InstallStarted) {
	if s.BlueprintReused {
		fmt.Fprintf(io.ErrOut, "blueprint %s: already uploaded with the same files\n", s.Blueprint.ID)
	} else {
		fmt.Fprintf(io.ErrOut, "blueprint %s uploaded\n", s.Blueprint.ID)
	}
	if s.DeploymentCreated {
		fmt.Fprintf(io.ErrOut, "deployment %s created: %d node instance(s)\n", s.Deployment.ID, len(s.Deployment.Plan.NodeInstances))
	} else {
		fmt.Fprintf(io.ErrOut, "deployment %s exists: installing what is not installed yet\n", s.Deployment.ID)
	}
}
