package workflow

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/tosca"
)

// boltState adapts the bbolt store to State, for benchmarks and a
// round-trip test. (cmd/gantry has its own adapter; this one shows the
// mapping and measures its cost.)
type boltState struct {
	s store.Store
}

func (a *boltState) Instances(ctx context.Context, dep string) ([]InstanceRecord, error) {
	list, err := a.s.ListNodeInstances(ctx, dep, "")
	if err != nil {
		return nil, err
	}
	out := make([]InstanceRecord, len(list))
	for i, ni := range list {
		out[i] = InstanceRecord{ID: ni.ID, State: string(ni.State), RuntimeProperties: ni.RuntimeProperties, Version: int64(ni.Version)}
	}
	return out, nil
}

func (a *boltState) TaskRecords(ctx context.Context, exec string) ([]TaskRecord, error) {
	list, err := a.s.ListTasks(ctx, exec)
	if err != nil {
		return nil, err
	}
	out := make([]TaskRecord, 0, len(list))
	for _, t := range list {
		st := TaskStatus(t.Status)
		if t.Status == store.TaskSucceeded && t.LastError != "" {
			st = TaskIgnored
		}
		out = append(out, TaskRecord{ID: t.ID, Status: st, Attempts: t.Attempts, Time: t.UpdatedAt})
	}
	return out, nil
}

func (a *boltState) Commit(ctx context.Context, b *Batch) error {
	return a.s.Batch(ctx, func(s store.Store) error {
		for _, r := range b.Instances {
			r := r
			_, err := s.UpdateNodeInstance(ctx, b.DeploymentID, r.ID, int(r.Version), func(ni *store.NodeInstance) error {
				ni.State, ni.RuntimeProperties = store.State(r.State), r.RuntimeProperties
				return nil
			})
			if errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("%w: %w", ErrVersionConflict, err)
			}
			if err != nil {
				return err
			}
		}
		if len(b.Tasks) > 0 {
			tasks := make([]*store.Task, len(b.Tasks))
			for i, t := range b.Tasks {
				st := store.TaskStatus(t.Status)
				var last string
				if t.Status == TaskIgnored {
					st, last = store.TaskSucceeded, "failure ignored"
				}
				tasks[i] = &store.Task{ID: t.ID, ExecutionID: b.ExecutionID, Status: st, Attempts: t.Attempts, LastError: last, UpdatedAt: t.Time}
			}
			if err := s.PutTasks(ctx, b.ExecutionID, tasks); err != nil {
				return err
			}
		}
		if len(b.Events) > 0 {
			evs := make([]*store.Event, len(b.Events))
			for i, e := range b.Events {
				msg := e.Message
				if e.Error != "" {
					msg += ": " + e.Error
				}
				evs[i] = &store.Event{ExecutionID: e.ExecutionID, DeploymentID: e.DeploymentID, Timestamp: e.Time, Type: string(e.Type),
					Level: e.Level, NodeID: e.NodeID, NodeInstanceID: e.NodeInstanceID, Operation: e.Operation, TaskID: e.TaskID, Message: msg}
			}
			if err := s.AppendEvents(ctx, b.ExecutionID, evs); err != nil {
				return err
			}
		}
		return nil
	})
}

func (a *boltState) SetExecutionStatus(ctx context.Context, exec string, st ExecStatus, msg string) error {
	_, err := a.s.UpdateExecution(ctx, exec, func(e *store.Execution) error {
		e.Status, e.Error = store.ExecutionStatus(st), msg
		return nil
	})
	return err
}

func (a *boltState) CancelRequested(ctx context.Context, exec string) (CancelMode, error) {
	e, err := a.s.GetExecution(ctx, exec)
	if err != nil {
		return CancelNone, err
	}
	switch {
	case e.ForceCancel:
		return CancelForce, nil
	case e.CancelRequested:
		return CancelGraceful, nil
	}
	return CancelNone, nil
}

// newBoltState opens a fresh bbolt store with deployment "dep" of plan p
// and executions ex0..ex9.
func newBoltState(tb testing.TB, p *tosca.Plan) *boltState {
	tb.Helper()
	s, err := store.OpenBolt(filepath.Join(tb.TempDir(), "gantry.db"), store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	ctx := context.Background()
	bpDir := tb.TempDir()
	if err := os.WriteFile(filepath.Join(bpDir, "blueprint.yaml"), []byte("tosca_definitions_version: cloudify_dsl_1_3\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
	archive, err := store.ArchiveDir(bpDir, 0)
	if err != nil {
		tb.Fatal(err)
	}
	if err := s.CreateBlueprint(ctx, &store.Blueprint{ID: "bp", MainFile: "blueprint.yaml"}, archive); err != nil {
		tb.Fatal(err)
	}
	if err := s.CreateDeployment(ctx, &store.Deployment{ID: "dep", BlueprintID: "bp", Plan: p}); err != nil {
		tb.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		if err := s.CreateExecution(ctx, &store.Execution{ID: fmt.Sprintf("ex%d", i), DeploymentID: "dep", WorkflowID: WorkflowInstall, Status: store.ExecutionPending}); err != nil {
			tb.Fatal(err)
		}
	}
	return &boltState{s: s}
}

// The engine against the real bbolt store: install, a graceful cancel
// request from the store's flag, and consistent records.
func TestBoltStateInstall(t *testing.T) {
	p := layeredPlan(50, 10, "noop", "")
	st := newBoltState(t, p)
	res, err := Run(context.Background(), Config{State: st, Plugins: noopRegistry()},
		Request{DeploymentID: "dep", ExecutionID: "ex0", Workflow: WorkflowInstall, Plan: p})
	if err != nil {
		t.Fatal(err)
	}
	if res.Succeeded != 100 {
		t.Fatalf("succeeded %d, want 100", res.Succeeded)
	}
	insts, err := st.Instances(context.Background(), "dep")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range insts {
		if r.State != StateStarted {
			t.Fatalf("%s is %s", r.ID, r.State)
		}
	}
	e, err := st.s.GetExecution(context.Background(), "ex0")
	if err != nil || e.Status != store.ExecutionTerminated {
		t.Fatalf("execution: %v %v", e, err)
	}
	problems, err := st.s.Check(context.Background())
	if err != nil || len(problems) > 0 {
		t.Fatalf("store check: %v %v", problems, err)
	}
}
