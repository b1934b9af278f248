package manager

import (
	"context"
	"os"

	"github.com/gantryhq/gantry/store"
)

// holderName names a claim held by a CLI or server run (workers use
// their own name, WorkerConfig.Name).
const holderName = "gantry"

// claim claims an execution for this process (see store.Claimer): on
// etcd a key on this process's lease whose revision fences every write of
// the run; on bbolt the process's own guard.
func (m *Manager) claim(ctx context.Context, executionID string) (store.Claim, error) {
	return m.claimAs(ctx, executionID, holderName)
}

func (m *Manager) claimAs(ctx context.Context, executionID, name string) (store.Claim, error) {
	c, ok := store.AsClaimer(m.st)
	if !ok {
		return processClaim{id: executionID, w: m.st}, nil
	}
	return c.ClaimExecution(ctx, executionID, store.ClaimHolder{Name: name, Host: selfHost, PID: os.Getpid()})
}

// processClaim is the claim of a store that has none of its own (a test
// double wrapping a backend): the process guards its runs.
type processClaim struct {
	id string
	w  store.Store
}

func (c processClaim) ExecutionID() string           { return c.id }
func (c processClaim) Token() int64                  { return 0 }
func (c processClaim) Writer() store.Store           { return c.w }
func (c processClaim) Lost() <-chan struct{}         { return nil }
func (c processClaim) Release(context.Context) error { return nil }
