package store

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"time"

	"github.com/gantryhq/gantry/tosca"
)

// The record rules every backend shares (BoltStore here, store/etcd), so
// that they validate, default and update records the same way. A backend
// only reads and writes.

// CheckID validates an id of the given kind: non-empty, UTF-8, at most
// 512 bytes, without NUL. Errors wrap ErrInvalid.
func CheckID(kind, id string) error { return checkID(kind, id) }

// CheckVisibility validates a secret's visibility. Errors wrap ErrInvalid.
func CheckVisibility(vis string) error { return checkVisibility(vis) }

// Now is the store's clock: UTC, as records keep it.
func Now() time.Time { return now() }

// PrepareBlueprint validates a blueprint and its archive (at most maxBytes)
// and returns the record to store: CreatedAt defaulted, ArchiveSize and
// ArchiveSHA256 set.
func PrepareBlueprint(bp *Blueprint, archive []byte, maxBytes int64) (Blueprint, error) {
	if bp == nil {
		return Blueprint{}, fmt.Errorf("create blueprint: nil: %w", ErrInvalid)
	}
	if err := checkID("blueprint", bp.ID); err != nil {
		return Blueprint{}, err
	}
	if bp.MainFile == "" {
		return Blueprint{}, fmt.Errorf("blueprint %q: main file name is empty: %w", bp.ID, ErrInvalid)
	}
	if int64(len(archive)) > maxBytes {
		return Blueprint{}, fmt.Errorf("blueprint %q: archive is %d bytes, limit %d: %w", bp.ID, len(archive), maxBytes, ErrTooLarge)
	}
	if err := ValidateArchive(archive); err != nil {
		return Blueprint{}, fmt.Errorf("blueprint %q: %w", bp.ID, err)
	}
	rec := *bp
	if rec.CreatedAt.IsZero() {
		rec.CreatedAt = now()
	}
	sum := sha256.Sum256(archive)
	rec.ArchiveSize, rec.ArchiveSHA256 = int64(len(archive)), hex.EncodeToString(sum[:])
	return rec, nil
}

// PrepareDeployment validates d and returns the record to store and its
// plan's node instances as new records (state uninitialized).
func PrepareDeployment(d *Deployment) (Deployment, []*NodeInstance, error) {
	if d == nil {
		return Deployment{}, nil, fmt.Errorf("create deployment: nil: %w", ErrInvalid)
	}
	if err := checkID("deployment", d.ID); err != nil {
		return Deployment{}, nil, err
	}
	if err := checkID("blueprint", d.BlueprintID); err != nil {
		return Deployment{}, nil, fmt.Errorf("deployment %q: %w", d.ID, err)
	}
	if d.Plan == nil {
		return Deployment{}, nil, fmt.Errorf("deployment %q: no plan: %w", d.ID, ErrInvalid)
	}
	rec := *d
	if rec.CreatedAt.IsZero() {
		rec.CreatedAt = now()
	}
	rec.UpdatedAt = rec.CreatedAt
	instances := make([]*NodeInstance, 0, len(d.Plan.NodeInstances))
	for _, pi := range d.Plan.NodeInstances {
		if pi == nil {
			return Deployment{}, nil, fmt.Errorf("deployment %q: nil node instance in plan: %w", d.ID, ErrInvalid)
		}
		instances = append(instances, &NodeInstance{NodeInstance: *pi, State: StateUninitialized})
	}
	return rec, instances, nil
}

// ApplyDeploymentUpdate runs an UpdateDeployment fn on the stored d and
// restores what it may not change. fn may move the deployment to another
// blueprint (a deployment update): movedFrom is then the blueprint it
// leaves, and the backend checks the new one exists and moves the
// deployment in its blueprint index.
func ApplyDeploymentUpdate(id string, d *Deployment, fn func(*Deployment) error) (movedFrom string, err error) {
	bpID, created := d.BlueprintID, d.CreatedAt
	if err := fn(d); err != nil {
		return "", err
	}
	if d.Plan == nil {
		return "", fmt.Errorf("deployment %q: update removed the plan: %w", id, ErrInvalid)
	}
	if d.BlueprintID == "" {
		d.BlueprintID = bpID
	}
	if d.BlueprintID != bpID {
		if err := CheckID("blueprint", d.BlueprintID); err != nil {
			return "", err
		}
		movedFrom = bpID
	}
	d.ID, d.CreatedAt, d.UpdatedAt = id, created, now()
	return movedFrom, nil
}

// pendingUpdate is the workflow of a deployment update (the manager's).
const pendingUpdate = "update"

// PendingAdditions returns the node instances a deployment update stored
// before it ran and that are not in its deployment's plan yet (their nodes
// join the plan when it succeeds): a consistent store may hold them while
// the update runs, is interrupted or failed. Keys are "deployment/instance".
func PendingAdditions(e *Execution, into map[string]bool) {
	if e.WorkflowID != pendingUpdate || e.RolledBack || e.Status == ExecutionTerminated {
		return
	}
	for _, id := range e.ScaleAdded {
		into[e.DeploymentID+"/"+id] = true
	}
}

// PlanNodeIDs returns the ids of a plan's nodes.
func PlanNodeIDs(p *tosca.Plan) map[string]bool {
	nodes := map[string]bool{}
	for _, n := range p.Nodes {
		if n != nil {
			nodes[n.ID] = true
		}
	}
	return nodes
}

// PrepareDependency validates d and returns the record to store.
func PrepareDependency(d *Dependency) (Dependency, error) {
	if d == nil {
		return Dependency{}, fmt.Errorf("put dependency: nil: %w", ErrInvalid)
	}
	for _, c := range []struct{ kind, id string }{
		{"source deployment", d.SourceDeploymentID}, {"target deployment", d.TargetDeploymentID}, {"dependency creator", d.Creator},
	} {
		if err := checkID(c.kind, c.id); err != nil {
			return Dependency{}, err
		}
	}
	if d.SourceDeploymentID == d.TargetDeploymentID {
		return Dependency{}, fmt.Errorf("deployment %q cannot depend on itself: %w", d.SourceDeploymentID, ErrInvalid)
	}
	rec := *d
	if rec.CreatedAt.IsZero() {
		rec.CreatedAt = now()
	}
	return rec, nil
}

// CheckNewInstances validates instances to add to a deployment and
// returns their ids (ErrExists for an id given twice).
func CheckNewInstances(depID string, instances []*NodeInstance) (map[string]bool, error) {
	seen := make(map[string]bool, len(instances))
	for _, ni := range instances {
		if ni == nil {
			return nil, fmt.Errorf("deployment %q: nil node instance: %w", depID, ErrInvalid)
		}
		if err := checkID("node instance", ni.ID); err != nil {
			return nil, fmt.Errorf("deployment %q: %w", depID, err)
		}
		if err := checkID("node", ni.NodeID); err != nil {
			return nil, fmt.Errorf("node instance %q: %w", ni.ID, err)
		}
		if ni.State != "" && !ni.State.Valid() {
			return nil, fmt.Errorf("node instance %q: unknown state %q: %w", ni.ID, ni.State, ErrInvalid)
		}
		if seen[ni.ID] {
			return nil, fmt.Errorf("node instance %q of deployment %q: %w", ni.ID, depID, ErrExists)
		}
		seen[ni.ID] = true
	}
	return seen, nil
}

// NewInstanceRecord returns the record of a new instance: version 1,
// name, state and runtime properties defaulted.
func NewInstanceRecord(in *NodeInstance, depID string, t time.Time) NodeInstance {
	ni := *in
	ni.DeploymentID, ni.Version, ni.UpdatedAt = depID, 1, t
	if ni.Name == "" {
		ni.Name = ni.ID
	}
	if ni.State == "" {
		ni.State = StateUninitialized
	}
	if ni.RuntimeProperties == nil {
		ni.RuntimeProperties = map[string]any{}
	}
	return ni
}

// ApplyInstanceUpdate checks the expected version and runs an
// UpdateNodeInstance fn on the stored ni, restoring what it may not change
// and bumping the version.
func ApplyInstanceUpdate(depID, id string, ni *NodeInstance, expectedVersion int, fn func(*NodeInstance) error) error {
	if expectedVersion != AnyVersion && ni.Version != expectedVersion {
		return fmt.Errorf("node instance %q of deployment %q: version is %d, expected %d: %w",
			id, depID, ni.Version, expectedVersion, ErrConflict)
	}
	nodeID, version := ni.NodeID, ni.Version
	if err := fn(ni); err != nil {
		return err
	}
	if !ni.State.Valid() {
		return fmt.Errorf("node instance %q: unknown state %q: %w", id, ni.State, ErrInvalid)
	}
	ni.ID, ni.NodeID, ni.DeploymentID = id, nodeID, depID
	ni.Version, ni.UpdatedAt = version+1, now()
	if ni.RuntimeProperties == nil {
		ni.RuntimeProperties = map[string]any{}
	}
	return nil
}

// PrepareExecution validates e and returns the record to store (status
// pending and CreatedAt now by default).
func PrepareExecution(e *Execution) (Execution, error) {
	if e == nil {
		return Execution{}, fmt.Errorf("create execution: nil: %w", ErrInvalid)
	}
	if err := checkID("execution", e.ID); err != nil {
		return Execution{}, err
	}
	if err := checkID("deployment", e.DeploymentID); err != nil {
		return Execution{}, fmt.Errorf("execution %q: %w", e.ID, err)
	}
	if e.WorkflowID == "" {
		return Execution{}, fmt.Errorf("execution %q: workflow id is empty: %w", e.ID, ErrInvalid)
	}
	rec := *e
	if rec.Status == "" {
		rec.Status = ExecutionPending
	}
	if !rec.Status.Valid() {
		return Execution{}, fmt.Errorf("execution %q: unknown status %q: %w", e.ID, rec.Status, ErrInvalid)
	}
	if rec.CreatedAt.IsZero() {
		rec.CreatedAt = now()
	}
	return rec, nil
}

// ApplyExecutionUpdate runs an UpdateExecution fn on the stored e and
// restores what it may not change.
func ApplyExecutionUpdate(id string, e *Execution, fn func(*Execution) error) error {
	depID := e.DeploymentID
	if err := fn(e); err != nil {
		return err
	}
	if !e.Status.Valid() {
		return fmt.Errorf("execution %q: unknown status %q: %w", id, e.Status, ErrInvalid)
	}
	e.ID, e.DeploymentID = id, depID
	return nil
}

// CancelUpdate is the UpdateExecution fn of RequestCancel.
func CancelUpdate(id string, force bool) func(*Execution) error {
	return func(e *Execution) error {
		if e.Status.Terminal() {
			return fmt.Errorf("execution %q has already ended (%s): %w", id, e.Status, ErrConflict)
		}
		e.CancelRequested = true
		e.ForceCancel = e.ForceCancel || force
		e.Status = ExecutionCancelling
		return nil
	}
}

// SortExecutions orders executions by creation time, then id.
func SortExecutions(list []*Execution) {
	sort.SliceStable(list, func(i, j int) bool {
		if !list[i].CreatedAt.Equal(list[j].CreatedAt) {
			return list[i].CreatedAt.Before(list[j].CreatedAt)
		}
		return list[i].ID < list[j].ID
	})
}

// CheckTasks validates task records to put.
func CheckTasks(execID string, tasks []*Task) error {
	for _, t := range tasks {
		if t == nil {
			return fmt.Errorf("execution %q: nil task: %w", execID, ErrInvalid)
		}
		if err := checkID("task", t.ID); err != nil {
			return fmt.Errorf("execution %q: %w", execID, err)
		}
		if !t.Status.Valid() {
			return fmt.Errorf("task %q of execution %q: unknown status %q: %w", t.ID, execID, t.Status, ErrInvalid)
		}
	}
	return nil
}

// CheckEvents validates events to append.
func CheckEvents(execID string, evs []*Event) error {
	if err := checkID("execution", execID); err != nil {
		return err
	}
	for _, ev := range evs {
		if ev == nil {
			return fmt.Errorf("execution %q: nil event: %w", execID, ErrInvalid)
		}
	}
	return nil
}

// PrepareSecret validates a secret and returns the record to store
// (visibility tenant by default).
func PrepareSecret(sec *Secret) (Secret, error) {
	if sec == nil {
		return Secret{}, fmt.Errorf("put secret: nil: %w", ErrInvalid)
	}
	if err := checkID("secret", sec.Key); err != nil {
		return Secret{}, err
	}
	rec := *sec
	if rec.Visibility == "" {
		rec.Visibility = VisibilityTenant
	}
	if err := checkVisibility(rec.Visibility); err != nil {
		return Secret{}, fmt.Errorf("secret %q: %w", rec.Key, err)
	}
	return rec, nil
}

// ApplySecretPut sets the timestamps of a secret being put over old (nil
// if none); ErrExists if old exists and not overwrite.
func ApplySecretPut(rec, old *Secret, overwrite bool) error {
	t := now()
	if old != nil {
		if !overwrite {
			return fmt.Errorf("secret %q: %w", rec.Key, ErrExists)
		}
		rec.CreatedAt = old.CreatedAt
	} else if rec.CreatedAt.IsZero() {
		rec.CreatedAt = t
	}
	rec.UpdatedAt = t
	return nil
}
