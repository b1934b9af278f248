package workflow

import (
	"context"
	"fmt"
	"sync"

	"github.com/gantryhq/gantry/plugins"
	"github.com/gantryhq/gantry/tosca"
)

// instState is the engine's live copy of one node instance record.
type instState struct {
	mu      sync.Mutex
	rec     InstanceRecord
	runtime *plugins.MapRuntime
}

// instanceTable holds the live records of a deployment's instances.
type instanceTable struct {
	m map[string]*instState
}

func (t *instanceTable) get(id string) *instState { return t.m[id] }

// loadInstances reads the instance records and creates live ones for every
// instance of the topology (uninitialized when the State has none).
func loadInstances(ctx context.Context, st State, deploymentID string, topo *topology, markDirty func(string)) (*instanceTable, error) {
	recs, err := st.Instances(ctx, deploymentID)
	if err != nil {
		return nil, fmt.Errorf("load node instances of deployment %s: %w", deploymentID, err)
	}
	byID := make(map[string]InstanceRecord, len(recs))
	for _, r := range recs {
		byID[r.ID] = r
	}
	t := &instanceTable{m: make(map[string]*instState, len(topo.order))}
	for _, ni := range topo.order {
		t.m[ni.ID] = newInstState(ni, byID, markDirty)
	}
	return t, nil
}

func newInstState(ni *tosca.NodeInstance, byID map[string]InstanceRecord, markDirty func(string)) *instState {
	rec, ok := byID[ni.ID]
	if !ok {
		rec = InstanceRecord{ID: ni.ID, State: StateUninitialized}
	}
	if rec.State == "" {
		rec.State = StateUninitialized
	}
	if rec.RuntimeProperties == nil {
		rec.RuntimeProperties = map[string]any{}
	}
	in := &instState{rec: rec}
	id := ni.ID
	in.runtime = plugins.NewMapRuntime(&in.mu, in.rec.RuntimeProperties, func() { markDirty(id) })
	return in
}

func (t *instanceTable) states() map[string]string {
	out := make(map[string]string, len(t.m))
	for id, in := range t.m {
		in.mu.Lock()
		out[id] = in.rec.State
		in.mu.Unlock()
	}
	return out
}

// setState changes an instance's state in memory; the caller persists it.
func (in *instState) setState(s string) {
	in.mu.Lock()
	in.rec.State = s
	in.mu.Unlock()
}
