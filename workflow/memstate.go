package workflow

import (
	"context"
	"fmt"
	"sync"

	"github.com/gantryhq/gantry/plugins"
)

// MemState is an in-memory State for tests and dry runs.
type MemState struct {
	mu        sync.Mutex
	instances map[string]map[string]InstanceRecord // deployment -> id -> record
	tasks     map[string]map[string]TaskRecord     // execution -> id -> record
	events    map[string][]Event                   // execution -> events
	status    map[string]ExecStatus
	errs      map[string]string
	cancel    map[string]CancelMode
	commits   int
	// FailCommit, when set, is returned by Commit (to simulate a broken store).
	FailCommit error
}

// NewMemState returns an empty in-memory State.
func NewMemState() *MemState {
	return &MemState{
		instances: map[string]map[string]InstanceRecord{},
		tasks:     map[string]map[string]TaskRecord{},
		events:    map[string][]Event{},
		status:    map[string]ExecStatus{},
		errs:      map[string]string{},
		cancel:    map[string]CancelMode{},
	}
}

// Instances implements State.
func (s *MemState) Instances(_ context.Context, deploymentID string) ([]InstanceRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]InstanceRecord, 0, len(s.instances[deploymentID]))
	for _, r := range s.instances[deploymentID] {
		r.RuntimeProperties = plugins.DeepCopyMap(r.RuntimeProperties)
		out = append(out, r)
	}
	return out, nil
}

// TaskRecords implements State.
func (s *MemState) TaskRecords(_ context.Context, executionID string) ([]TaskRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]TaskRecord, 0, len(s.tasks[executionID]))
	for _, r := range s.tasks[executionID] {
		out = append(out, r)
	}
	return out, nil
}

// Commit implements State.
func (s *MemState) Commit(_ context.Context, b *Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.FailCommit != nil {
		return s.FailCommit
	}
	insts := s.instances[b.DeploymentID]
	for _, r := range b.Instances {
		if cur, ok := insts[r.ID]; ok && cur.Version != r.Version {
			return fmt.Errorf("instance %s: have version %d, update from %d: %w", r.ID, cur.Version, r.Version, ErrVersionConflict)
		}
	}
	if insts == nil {
		insts = map[string]InstanceRecord{}
		s.instances[b.DeploymentID] = insts
	}
	for _, r := range b.Instances {
		r.RuntimeProperties = plugins.DeepCopyMap(r.RuntimeProperties)
		r.Version++
		insts[r.ID] = r
	}
	if len(b.Tasks) > 0 {
		tasks := s.tasks[b.ExecutionID]
		if tasks == nil {
			tasks = map[string]TaskRecord{}
			s.tasks[b.ExecutionID] = tasks
		}
		for _, t := range b.Tasks {
			tasks[t.ID] = t
		}
	}
	for _, e := range b.Events {
		e.Seq = int64(len(s.events[b.ExecutionID]) + 1)
		s.events[b.ExecutionID] = append(s.events[b.ExecutionID], e)
	}
	s.commits++
	return nil
}

// SetExecutionStatus implements State.
func (s *MemState) SetExecutionStatus(_ context.Context, executionID string, status ExecStatus, errMsg string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status[executionID] = status
	s.errs[executionID] = errMsg
	return nil
}

// CancelRequested implements State.
func (s *MemState) CancelRequested(_ context.Context, executionID string) (CancelMode, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cancel[executionID], nil
}

// RequestCancel records a cancel request, as `executions cancel` would.
func (s *MemState) RequestCancel(executionID string, mode CancelMode) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cancel[executionID] = mode
}

// PutInstance stores an instance record as is (test setup).
func (s *MemState) PutInstance(deploymentID string, r InstanceRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.instances[deploymentID] == nil {
		s.instances[deploymentID] = map[string]InstanceRecord{}
	}
	r.RuntimeProperties = plugins.DeepCopyMap(r.RuntimeProperties)
	s.instances[deploymentID][r.ID] = r
}

// Instance returns one instance record.
func (s *MemState) Instance(deploymentID, id string) (InstanceRecord, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.instances[deploymentID][id]
	r.RuntimeProperties = plugins.DeepCopyMap(r.RuntimeProperties)
	return r, ok
}

// Events returns a copy of an execution's events.
func (s *MemState) Events(executionID string) []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Event(nil), s.events[executionID]...)
}

// Status returns an execution's status and error.
func (s *MemState) Status(executionID string) (ExecStatus, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status[executionID], s.errs[executionID]
}

// DeleteTaskRecords forgets some task records (to simulate a crash that
// lost the tail of an execution's writes).
func (s *MemState) DeleteTaskRecords(executionID string, ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		delete(s.tasks[executionID], id)
	}
}

// Commits returns how many batches were committed.
func (s *MemState) Commits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commits
}
