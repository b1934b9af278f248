package api

import "github.com/gantryhq/gantry/tosca/plandiff"

// UpdateDeploymentRequest is `gantry deployments update`: move a
// deployment to another blueprint, stored or uploaded first.
type UpdateDeploymentRequest struct {
	DeploymentID string `json:"deployment_id"`
	// BlueprintID is the stored blueprint to move to or, with a
	// Blueprint that is a path, the id to upload it as (default: derived
	// from the path as install derives it).
	BlueprintID string `json:"blueprint_id"`
	// Blueprint is what `-b` names, read as install reads its PATH
	// (manager.ResolveUpdateBlueprint): a path on the caller's machine
	// when something exists there (a folder holding blueprint.yaml, a
	// main file, or a .tar.gz, .tgz or .zip archive of one), uploaded
	// first as Install uploads (an identical upload of the id reused, a
	// different one refused); otherwise a stored blueprint's id. It never
	// crosses the wire: the remote client sends the files.
	Blueprint string `json:"-"`
	// Inputs override the deployment's inputs; the others keep their
	// values (an input left at its old default takes the new default).
	Inputs map[string]any `json:"inputs,omitempty"`
	// ReinstallList names nodes whose instances are reinstalled;
	// nodes whose type, properties or operations changed are reinstalled
	// too unless SkipReinstall.
	ReinstallList []string `json:"reinstall_list,omitempty"`
	SkipReinstall bool     `json:"skip_reinstall,omitempty"`
	// Preview computes and returns the change without applying it.
	Preview bool        `json:"preview,omitempty"`
	Options ExecOptions `json:"options"`
}

// DeploymentUpdate is a deployment update: what changes and, unless
// previewed, the execution of workflow `update` that applies it.
type DeploymentUpdate struct {
	DeploymentID   string `json:"deployment_id"`
	OldBlueprintID string `json:"old_blueprint_id"`
	BlueprintID    string `json:"blueprint_id"`
	// BlueprintUploaded: the request's Blueprint was a path, uploaded as
	// BlueprintID (false: an identical upload was reused, or a stored
	// blueprint was named).
	BlueprintUploaded bool             `json:"blueprint_uploaded,omitempty"`
	Inputs            map[string]any   `json:"inputs"`
	Change            *plandiff.Change `json:"change"`
	// Instances the update installs, uninstalls and reinstalls, sorted.
	AddedInstances     []string `json:"added_instances"`
	RemovedInstances   []string `json:"removed_instances"`
	ReinstallNodes     []string `json:"reinstall_nodes"`
	ReinstallInstances []string `json:"reinstall_instances"`
	// Execution is the update's execution (nil for a preview).
	Execution *Execution `json:"execution,omitempty"`
	Run       Run        `json:"-"`
}
