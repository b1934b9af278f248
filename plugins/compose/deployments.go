package compose

import (
	"context"

	"github.com/gantryhq/gantry/plugins/proxy"
)

// Deployments is the composition plugin's view of the store's blueprints
// and deployments. The manager implements it; proxy.Deployments brings
// InstallStatus, Outputs, Inputs and the dependency records (a dependency
// is identified by its source deployment and its creator, the node
// instance).
type Deployments interface {
	proxy.Deployments
	// Capabilities evaluates a deployment's capabilities against its
	// runtime state (proxy.ErrNoDeployment when it does not exist).
	Capabilities(ctx context.Context, deploymentID string) (map[string]any, error)
	// HasBlueprint reports whether the store holds blueprint id.
	HasBlueprint(ctx context.Context, id string) (bool, error)
	// UploadBlueprint stores the blueprint whose main file is path under
	// id, unless an identical upload is there already.
	UploadBlueprint(ctx context.Context, id, path string) error
	// UploadBlueprintArchive stores a blueprint archive (zip or tar.gz)
	// under id, unless an identical upload is there already; mainFile is
	// at the archive's root or in its only top-level folder.
	UploadBlueprintArchive(ctx context.Context, id string, archive []byte, mainFile string) error
	// DeleteBlueprint deletes blueprint id; one that is gone is no error,
	// one that deployments use is kept (ErrInUse, naming them).
	DeleteBlueprint(ctx context.Context, id string) error
	// CreateChild records that deployment parent (through node instance
	// via) depends on deployment id, then creates id from blueprintID with
	// inputs. A deployment id that exists is adopted when that dependency
	// existed before (the operation runs again after a crash), else
	// ErrExists.
	CreateChild(ctx context.Context, parent, via, blueprintID, id string, inputs map[string]any) error
	// RunWorkflow runs workflow of deployment id in this process, waits
	// for its end and returns its execution id, and an error when it did
	// not terminate successfully (the child's error). Dependencies that
	// parent recorded through via do not stop an uninstall; others do.
	RunWorkflow(ctx context.Context, parent, via, id, workflow string, params map[string]any, allowCustom bool) (string, error)
	// DeleteChild forgets the dependency of parent (through via) on id and
	// deletes deployment id (refused while an execution runs, other
	// deployments depend on it or its instances are live). A missing
	// deployment is no error.
	DeleteChild(ctx context.Context, parent, via, id string) error
	// PutSecret creates or overwrites a secret.
	PutSecret(ctx context.Context, key, value string) error
	// CreateSecret creates a secret (ErrExists when it exists).
	CreateSecret(ctx context.Context, key, value string) error
	// HasSecret reports whether secret key exists.
	HasSecret(ctx context.Context, key string) (bool, error)
	// DeleteSecret deletes a secret; a missing one is no error.
	DeleteSecret(ctx context.Context, key string) error
	// BlueprintOf returns the blueprint deployment id was created from
	// (proxy.ErrNoDeployment when it does not exist).
	BlueprintOf(ctx context.Context, deploymentID string) (string, error)
	// InstanceStates returns the state of every node instance of the
	// deployment, by instance id.
	InstanceStates(ctx context.Context, deploymentID string) (map[string]string, error)
}
