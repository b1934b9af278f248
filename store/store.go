package store

import "context"

// Store is Gantry's state store. All methods are safe for concurrent use
// (including from several processes, for BoltStore). Records returned are
// fresh copies the caller may modify; free-form values (inputs, parameters,
// runtime properties) come back as JSON decodes them: float64, string, bool,
// nil, []any, map[string]any. Errors wrap the sentinels in errors.go with the
// kind and id of the record concerned.
type Store interface {
	// CreateBlueprint stores bp and its files (a tar.gz made by ArchiveDir,
	// validated and size-limited). It sets CreatedAt (if zero), ArchiveSize
	// and ArchiveSHA256 on bp. ErrExists if the id is taken, ErrNotFound
	// if a blueprint it imports (bp.Imports) is not stored.
	CreateBlueprint(ctx context.Context, bp *Blueprint, archive []byte) error
	GetBlueprint(ctx context.Context, id string) (*Blueprint, error)
	// ListBlueprints returns every blueprint ordered by id.
	ListBlueprints(ctx context.Context) ([]*Blueprint, error)
	// DeleteBlueprint removes the blueprint and its files; ErrInUse while
	// deployments of it exist, another blueprint imports it or an active
	// deployment update moves a deployment to it (Execution.HeldBlueprint).
	DeleteBlueprint(ctx context.Context, id string) error
	// BlueprintArchive returns the blueprint's files as stored (tar.gz).
	BlueprintArchive(ctx context.Context, id string) ([]byte, error)
	// BlueprintFiles extracts the blueprint's files into dir (created 0700
	// if missing), refusing entries that would land outside dir.
	BlueprintFiles(ctx context.Context, id, dir string) error

	// CreateDeployment stores d (d.Plan is required; its blueprint must
	// exist) and, in the same transaction, one node-instance record per
	// d.Plan.NodeInstances in state uninitialized with version 1.
	CreateDeployment(ctx context.Context, d *Deployment) error
	// GetDeployment returns the deployment with its plan.
	GetDeployment(ctx context.Context, id string) (*Deployment, error)
	// GetDeploymentRecord returns the deployment without its plan (Plan
	// nil): one small read, for callers that need its id, blueprint,
	// inputs or times (the plan of a large deployment weighs far more).
	GetDeploymentRecord(ctx context.Context, id string) (*Deployment, error)
	// ListDeployments returns deployments ordered by id, without plans; a
	// non-empty blueprintID keeps only that blueprint's deployments.
	ListDeployments(ctx context.Context, blueprintID string) ([]*Deployment, error)
	// UpdateDeployment applies fn to the stored deployment (with plan) and
	// writes it back (e.g. node counts after a scale). ID, BlueprintID and
	// CreatedAt cannot change.
	UpdateDeployment(ctx context.Context, id string, fn func(*Deployment) error) (*Deployment, error)
	// DeleteDeployment removes the deployment with its node instances,
	// executions, task records, events and outgoing dependencies in one
	// transaction, in which it keeps a tombstone of each execution (see
	// GetDeletedExecution). Without force it refuses with ErrInUse while an execution
	// is active or another deployment depends on it.
	DeleteDeployment(ctx context.Context, id string, force bool) error

	// PutDependency records (or replaces) an inter-deployment dependency;
	// both deployments must exist.
	PutDependency(ctx context.Context, d *Dependency) error
	DeleteDependency(ctx context.Context, sourceDeploymentID, creator string) error
	// ListDependencies returns matching dependencies ordered by source,
	// creator.
	ListDependencies(ctx context.Context, f DependencyFilter) ([]*Dependency, error)

	GetNodeInstance(ctx context.Context, deploymentID, id string) (*NodeInstance, error)
	// ListNodeInstances returns the deployment's node instances ordered by
	// id; a non-empty nodeID keeps only that node's instances (indexed, not
	// a scan).
	ListNodeInstances(ctx context.Context, deploymentID, nodeID string) ([]*NodeInstance, error)
	// UpdateNodeInstance applies fn to the stored instance and writes it
	// back with Version+1. If expectedVersion is not AnyVersion and differs
	// from the stored version it returns ErrConflict without calling fn.
	// fn cannot change ID, NodeID, DeploymentID or Version. An error from fn
	// is returned as is and nothing is written.
	UpdateNodeInstance(ctx context.Context, deploymentID, id string, expectedVersion int, fn func(*NodeInstance) error) (*NodeInstance, error)
	// SetNodeInstanceState sets the state without a version check (it
	// still bumps the version).
	SetNodeInstanceState(ctx context.Context, deploymentID, id string, state State) (*NodeInstance, error)
	// CreateNodeInstances adds instances (scale out); ErrExists if one does.
	// Version is set to 1 and State defaults to uninitialized.
	CreateNodeInstances(ctx context.Context, deploymentID string, instances []*NodeInstance) error
	// DeleteNodeInstances removes instances (scale in); ErrNotFound if one
	// does not exist, and then nothing is removed.
	DeleteNodeInstances(ctx context.Context, deploymentID string, ids []string) error

	// CreateExecution stores e (its deployment must exist, and the
	// blueprint it holds, HeldBlueprint: ErrNotFound); Status defaults to
	// pending and CreatedAt to now.
	CreateExecution(ctx context.Context, e *Execution) error
	GetExecution(ctx context.Context, id string) (*Execution, error)
	// GetDeletedExecution returns the tombstone of an execution that
	// DeleteDeployment deleted with its deployment: its final record
	// (Tombstone: DeletedAt set, always ended), kept for
	// Options.DeletedExecutionTTL after the deletion. ErrNotFound for any
	// other id, a live execution's included (GetExecution has those).
	// Tombstones are never listed; their events are kept with them
	// (DeletedEvents); while one is kept, CreateExecution refuses its id
	// (ErrExists).
	GetDeletedExecution(ctx context.Context, id string) (*Execution, error)
	// DeletedEvents is Events of an execution deleted with its deployment,
	// kept as long as its tombstone (GetDeletedExecution), so that a
	// follower that had not read them all when the deletion happened gets
	// the rest. ErrNotFound when there is no tombstone of id or its events
	// are no longer available (etcd: its history was compacted).
	DeletedEvents(ctx context.Context, executionID string, afterSeq uint64, limit int) ([]*Event, error)
	// ListExecutions returns executions ordered by creation time; a
	// non-empty deploymentID keeps only that deployment's.
	ListExecutions(ctx context.Context, deploymentID string) ([]*Execution, error)
	// UpdateExecution applies fn to the stored execution and writes it
	// back. ID and DeploymentID cannot change. An execution that comes to
	// hold a blueprint (reopened) needs it stored (ErrNotFound).
	UpdateExecution(ctx context.Context, id string, fn func(*Execution) error) (*Execution, error)
	// RequestCancel marks an active execution cancelling (CancelRequested,
	// and ForceCancel if force); ErrConflict if it has already ended. A
	// store with a queue ends at once a queued execution that no worker
	// claimed and none started (cancelled, UnstartedCancel).
	RequestCancel(ctx context.Context, id string, force bool) (*Execution, error)

	// PutTasks inserts or replaces task records of an execution, all in one
	// transaction.
	PutTasks(ctx context.Context, executionID string, tasks []*Task) error
	GetTask(ctx context.Context, executionID, taskID string) (*Task, error)
	// ListTasks returns the execution's task records ordered by task id.
	ListTasks(ctx context.Context, executionID string) ([]*Task, error)

	// AppendEvents appends events to the execution's stream in one
	// transaction, assigning each its Seq (written back into evs) and
	// ExecutionID/DeploymentID, and Timestamp if zero.
	AppendEvents(ctx context.Context, executionID string, evs []*Event) error
	// Events returns up to limit (<= 0: all) events with Seq > afterSeq in
	// Seq order. Poll it with the last Seq seen to follow a running
	// execution.
	Events(ctx context.Context, executionID string, afterSeq uint64, limit int) ([]*Event, error)

	// PutSecret stores a secret; ErrExists if the key exists and not
	// overwrite. Visibility defaults to tenant.
	PutSecret(ctx context.Context, s *Secret, overwrite bool) error
	GetSecret(ctx context.Context, key string) (*Secret, error)
	// ListSecrets returns secrets ordered by key, without their values.
	ListSecrets(ctx context.Context) ([]*Secret, error)
	DeleteSecret(ctx context.Context, key string) error

	// CreateToken stores an API token. t.Hash must be the hex SHA-256 of
	// the token's secret (64 lowercase hex digits): the secret itself is
	// never given to the store. CreatedAt defaults to now. ErrExists if the
	// id is taken, ErrInvalid for a missing name or role or a malformed hash.
	CreateToken(ctx context.Context, t *Token) error
	// GetToken returns the token with its hash (ErrNotFound if none).
	GetToken(ctx context.Context, id string) (*Token, error)
	// ListTokens returns every token (revoked and expired ones included)
	// ordered by id, without their hashes.
	ListTokens(ctx context.Context) ([]*Token, error)
	// RevokeToken sets RevokedAt (to now, unless it is set already: revoking
	// twice keeps the first time) and returns the token without its hash.
	RevokeToken(ctx context.Context, id string) (*Token, error)
	// DeleteToken removes the token record (ErrNotFound if none).
	DeleteToken(ctx context.Context, id string) error

	// PutSession stores or replaces a web console session under s.Key,
	// which must be a hex SHA-256 (the store never takes a session's id);
	// ErrInvalid for a malformed key, token id or a zero CreatedAt.
	PutSession(ctx context.Context, s *Session) error
	// GetSession returns the session with key (ErrNotFound if none).
	GetSession(ctx context.Context, key string) (*Session, error)
	// ListSessions returns every session ordered by key.
	ListSessions(ctx context.Context) ([]*Session, error)
	// DeleteSessions removes the sessions with these keys in one
	// transaction; unknown keys are ignored.
	DeleteSessions(ctx context.Context, keys ...string) error

	// AppendAudit appends r to the audit log, assigning r.Seq (strictly
	// increasing, in commit order) and r.Time if zero. Action and Principal
	// are required. Records are never changed or removed by the Store.
	AppendAudit(ctx context.Context, r *AuditRecord) error
	// ListAudit returns up to limit (<= 0: all) records with Seq > afterSeq
	// in Seq order; page with the last Seq seen.
	ListAudit(ctx context.Context, afterSeq uint64, limit int) ([]*AuditRecord, error)

	// Batch runs fn with a Store whose operations all happen in one
	// transaction, committed when fn returns nil and discarded when it
	// returns an error (which Batch returns). Use it to group many writes
	// (the engine flushes events, task records and states this way). Inside
	// fn use only the Store passed to it: a write through the outer store
	// would wait for this transaction forever. Do not keep that Store after
	// fn returns. An operation that fails inside fn writes nothing, so fn
	// may handle its error and go on. Nested Batch calls join the outer one.
	Batch(ctx context.Context, fn func(Store) error) error

	// Check verifies the store's integrity (the backend's own structure and
	// the references between records) and describes every problem found;
	// none means consistent. The error is for failing to run the check.
	Check(ctx context.Context) ([]string, error)

	// Close releases the store. Further calls return ErrClosed.
	Close() error
}
