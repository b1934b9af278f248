package store

import (
	"context"
	"time"
)

// Claims: an execution is run by exactly one process at a time. The
// process that runs it holds its claim; every write the engine makes for
// the execution goes through the claim's Writer, which refuses it
// (ErrClaimLost) once the claim is no longer this process's. See
// docs/ha.md.

// ClaimHolder names the process that holds a claim.
type ClaimHolder struct {
	// Name is the worker's name (or "gantry" for a CLI or server run).
	Name string `json:"name"`
	Host string `json:"host"`
	PID  int    `json:"pid"`
}

// ClaimInfo describes a held claim (for `gantry status`).
type ClaimInfo struct {
	ExecutionID string      `json:"execution_id"`
	Holder      ClaimHolder `json:"holder"`
	// Token is the fencing token: on etcd the claim key's create revision.
	Token int64     `json:"token"`
	Since time.Time `json:"since"`
	// Lease is the etcd lease the claim is attached to (0 on bbolt) and
	// LeaseTTL what remains of it when read.
	Lease    int64         `json:"lease,omitempty"`
	LeaseTTL time.Duration `json:"lease_ttl_ns,omitempty"`
}

// Claim is an execution claimed by this process.
type Claim interface {
	ExecutionID() string
	// Token is the fencing token. It grows: a later claim of the same
	// execution has a larger one.
	Token() int64
	// Writer is the Store the claim holder writes the execution's records
	// through: each of its transactions checks that the claim is still
	// this one, and refuses with ErrClaimLost (writing nothing) when it is
	// not.
	Writer() Store
	// Lost is closed when the claim is lost: its lease expired or was
	// revoked, or a write found the token stale. The holder must then
	// stop the execution's operations and write nothing more.
	Lost() <-chan struct{}
	// Release gives the claim back (the execution ended, or the holder
	// stops). Releasing a lost claim does nothing.
	Release(ctx context.Context) error
}

// Claimer is a Store whose executions can be claimed. Both backends
// implement it: on etcd a claim is a key attached to this process's lease
// and fencing is enforced by the cluster; a bbolt file is used by one
// process at a time per execution already (the execution's record names
// its process, see manager's resume guard), so a bbolt claim only keeps
// two runs of one process apart and is lost only with the process.
type Claimer interface {
	// ClaimExecution claims the execution for this process: ErrClaimed
	// when another process (or this one) holds it, ErrNotFound when the
	// execution does not exist.
	ClaimExecution(ctx context.Context, executionID string, holder ClaimHolder) (Claim, error)
}

// WorkerInfo is a registered worker (`gantry worker`).
type WorkerInfo struct {
	Name     string    `json:"name"`
	Host     string    `json:"host"`
	PID      int       `json:"pid"`
	Parallel int       `json:"parallel"`
	Started  time.Time `json:"started"`
	// Lease and LeaseTTL as in ClaimInfo.
	Lease    int64         `json:"lease,omitempty"`
	LeaseTTL time.Duration `json:"lease_ttl_ns,omitempty"`
}

// Member is one member of the cluster a store lives in.
type Member struct {
	Name      string   `json:"name"`
	ClientURL []string `json:"client_urls"`
	Leader    bool     `json:"leader"`
	// Error says why the member did not answer (empty when it did).
	Error string `json:"error,omitempty"`
}

// Queue is a Claimer that several processes share (store/etcd): workers
// find queued executions nobody runs, by watches, and register
// themselves for `gantry status`.
type Queue interface {
	Claimer
	// Claimable returns the ids of queued, active executions nobody
	// claims (oldest first).
	Claimable(ctx context.Context) ([]string, error)
	// WatchClaimable sends the id of each execution that may have become
	// claimable since the call (queued, or its claim ended). The channel
	// closes when ctx ends or the watch fails; callers then read
	// Claimable again.
	WatchClaimable(ctx context.Context) (<-chan string, error)
	// RegisterWorker records w for as long as this process's lease lives.
	RegisterWorker(ctx context.Context, w WorkerInfo) error
	Workers(ctx context.Context) ([]WorkerInfo, error)
	Claims(ctx context.Context) ([]ClaimInfo, error)
	Members(ctx context.Context) ([]Member, error)
}

// AsClaimer returns the Claimer of s, looking through wrappers (see
// Backend).
func AsClaimer(s Store) (Claimer, bool) {
	c, ok := Backend(s).(Claimer)
	return c, ok
}

// AsQueue returns the Queue of s, looking through wrappers.
func AsQueue(s Store) (Queue, bool) {
	q, ok := Backend(s).(Queue)
	return q, ok
}
