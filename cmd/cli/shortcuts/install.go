package shortcuts

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gantryhq/gantry/cmd/cli/cmdutil"
	"github.com/gantryhq/gantry/cmd/cli/deployments"
	"github.com/gantryhq/gantry/cmd/cli/executions"
	"github.com/gantryhq/gantry/manager"
	"github.com/gantryhq/gantry/store"
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
			m, inputs, err := flags.ManagerWithInputs(f)
			if err != nil {
				return err
			}
			ctx := context.Background()
			bp, reused, err := m.EnsureBlueprint(ctx, blueprintID, args[0])
			if err != nil {
				return cmdutil.ProblemsOrError(f.IO, err)
			}
			if !rf.JSON {
				if reused {
					fmt.Fprintf(f.IO.ErrOut, "blueprint %s: already uploaded with the same files\n", bp.ID)
				} else {
					fmt.Fprintf(f.IO.ErrOut, "blueprint %s uploaded\n", bp.ID)
				}
			}
			if deploymentID == "" {
				deploymentID = bp.ID
			}
			if _, err := m.Store().GetDeployment(ctx, deploymentID); errors.Is(err, store.ErrNotFound) {
				d, err := m.CreateDeployment(ctx, deploymentID, bp.ID, inputs, manager.CreateOptions{Seed: flags.Seed})
				if err != nil {
					return cmdutil.ProblemsOrError(f.IO, err)
				}
				if !rf.JSON {
					fmt.Fprintf(f.IO.ErrOut, "deployment %s created: %d node instance(s)\n", d.ID, len(d.Plan.NodeInstances))
				}
			} else if err != nil {
				return cmdutil.StoreError(err)
			} else {
				if len(inputs) > 0 {
					return cmdutil.Exit(cmdutil.ExitBusy, fmt.Errorf("deployment %s exists: its inputs cannot change; uninstall it first or choose another id with -d", deploymentID))
				}
				if !rf.JSON {
					fmt.Fprintf(f.IO.ErrOut, "deployment %s exists: installing what is not installed yet\n", deploymentID)
				}
			}
			if err := executions.RunWorkflow(cmd, f, &rf, deploymentID, "install", nil, false); err != nil {
				return err
			}
			if rf.DryRun || rf.JSON {
				return nil
			}
			out, err := m.Outputs(ctx, deploymentID)
			fmt.Fprintf(f.IO.Out, "outputs of %s:\n", deploymentID)
			deployments.PrintValues(f.IO, out)
			if err != nil {
				return cmdutil.StoreError(err)
			}
			return nil
		},
	}
	flags.Register(cmd, true)
	rf.Register(cmd)
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
			id := args[0]
			m, err := f.Manager(nil)
			if err != nil {
				return cmdutil.StoreError(err)
			}
			ctx := context.Background()
			d, err := m.Store().GetDeployment(ctx, id)
			if err != nil {
				return cmdutil.StoreError(err)
			}
			params := map[string]any{"ignore_failure": ignoreFailure}
			if force {
				params["force"] = true
			}
			if err := executions.RunWorkflow(cmd, f, &rf, id, "uninstall", params, false); err != nil {
				return err
			}
			if rf.DryRun {
				return nil
			}
			if err := m.DeleteDeployment(ctx, id, force); err != nil {
				return cmdutil.StoreError(err)
			}
			msg := fmt.Sprintf("deployment %s uninstalled and deleted", id)
			if !keepBlueprint {
				others, err := m.Store().ListDeployments(ctx, d.BlueprintID)
				if err == nil && len(others) == 0 {
					if err := m.DeleteBlueprint(ctx, d.BlueprintID); err == nil {
						msg += fmt.Sprintf("; blueprint %s deleted", d.BlueprintID)
					}
				}
			}
			if !rf.JSON {
				fmt.Fprintln(f.IO.ErrOut, msg)
			}
			return nil
		},
	}
	rf.Register(cmd)
	cmd.Flags().BoolVarP(&force, "force", "f", false, "uninstall even when other deployments depend on this one")
	cmd.Flags().BoolVar(&ignoreFailure, "ignore-failure", false, "go on when operations fail")
	cmd.Flags().BoolVar(&keepBlueprint, "keep-blueprint", false, "do not delete the blueprint")
	return cmd
}
