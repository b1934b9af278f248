package etcdstore

import (
	"context"
	"fmt"

	"github.com/gantryhq/gantry/store"
)

// putInstances validates then buffers new instances (version 1) with
// their index entries; ErrExists if one exists, and then nothing is
// written.
func (v *view) putInstances(ctx context.Context, t *tx, depID string, instances []*store.NodeInstance) error {
	seen, err := store.CheckNewInstances(depID, instances)
	if err != nil {
		return err
	}
	// One scan of the deployment's instance keys instead of a read per
	// new instance (a new deployment's range is empty).
	existing, err := t.scan(ctx, v.k.under(kindInstance, depID), true)
	if err != nil {
		return err
	}
	for _, x := range existing {
		if id := v.k.split(kindInstance, x.key)[1]; seen[id] {
			return fmt.Errorf("node instance %q of deployment %q: %w", id, depID, store.ErrExists)
		}
	}
	now := store.Now()
	recs := make([]store.NodeInstance, len(instances))
	for i, in := range instances {
		ni := store.NewInstanceRecord(in, depID, now)
		if err := t.put("node instance", v.k.instance(depID, ni.ID), &ni); err != nil {
			return err
		}
		t.putRaw(v.k.instNode(depID, ni.NodeID, ni.ID), nil)
		recs[i] = ni
	}
	for i, in := range instances {
		*in = recs[i]
	}
	return nil
}

func (v *view) getInstance(ctx context.Context, t *tx, depID, id string) (*store.NodeInstance, error) {
	var ni store.NodeInstance
	ok, err := t.get(ctx, "node instance", v.k.instance(depID, id), &ni)
	if err != nil {
		return nil, err
	}
	if !ok {
		if err := v.deploymentExists(ctx, t, depID); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("node instance %q of deployment %q: %w", id, depID, store.ErrNotFound)
	}
	return &ni, nil
}

func (v *view) GetNodeInstance(ctx context.Context, depID, id string) (*store.NodeInstance, error) {
	if err := store.CheckID("deployment", depID); err != nil {
		return nil, err
	}
	if err := store.CheckID("node instance", id); err != nil {
		return nil, err
	}
	var ni *store.NodeInstance
	err := v.run(ctx, func(t *tx) (err error) {
		if err := v.deploymentExists(ctx, t, depID); err != nil {
			return err
		}
		ni, err = v.getInstance(ctx, t, depID, id)
		return err
	})
	return ni, err
}

func (v *view) ListNodeInstances(ctx context.Context, depID, nodeID string) ([]*store.NodeInstance, error) {
	if err := store.CheckID("deployment", depID); err != nil {
		return nil, err
	}
	var out []*store.NodeInstance
	err := v.run(ctx, func(t *tx) error {
		out = nil
		if err := v.deploymentExists(ctx, t, depID); err != nil {
			return err
		}
		if nodeID == "" {
			return listJSON(ctx, t, "node instance", v.k.under(kindInstance, depID), &out)
		}
		idx, err := t.scan(ctx, v.k.under(kindInstNode, depID, nodeID), true)
		if err != nil {
			return err
		}
		for _, x := range idx {
			ni, err := v.getInstance(ctx, t, depID, v.k.split(kindInstNode, x.key)[2])
			if err != nil {
				return fmt.Errorf("node index of deployment %q: %w", depID, err)
			}
			out = append(out, ni)
		}
		return nil
	})
	return out, err
}

func (v *view) UpdateNodeInstance(ctx context.Context, depID, id string, expectedVersion int, fn func(*store.NodeInstance) error) (*store.NodeInstance, error) {
	if err := store.CheckID("deployment", depID); err != nil {
		return nil, err
	}
	if err := store.CheckID("node instance", id); err != nil {
		return nil, err
	}
	var out *store.NodeInstance
	err := v.run(ctx, func(t *tx) error {
		ni, err := v.getInstance(ctx, t, depID, id)
		if err != nil {
			return err
		}
		if err := store.ApplyInstanceUpdate(depID, id, ni, expectedVersion, fn); err != nil {
			return err
		}
		out = ni
		return t.put("node instance", v.k.instance(depID, id), ni)
	})
	return out, err
}

func (v *view) SetNodeInstanceState(ctx context.Context, depID, id string, state store.State) (*store.NodeInstance, error) {
	if !state.Valid() {
		return nil, fmt.Errorf("node instance %q: unknown state %q: %w", id, state, store.ErrInvalid)
	}
	return v.UpdateNodeInstance(ctx, depID, id, store.AnyVersion, func(ni *store.NodeInstance) error {
		ni.State = state
		return nil
	})
}

func (v *view) CreateNodeInstances(ctx context.Context, depID string, instances []*store.NodeInstance) error {
	if err := store.CheckID("deployment", depID); err != nil {
		return err
	}
	return v.run(ctx, func(t *tx) error {
		if err := v.deploymentExists(ctx, t, depID); err != nil {
			return err
		}
		return v.putInstances(ctx, t, depID, instances)
	})
}

func (v *view) DeleteNodeInstances(ctx context.Context, depID string, ids []string) error {
	if err := store.CheckID("deployment", depID); err != nil {
		return err
	}
	return v.run(ctx, func(t *tx) error {
		if err := v.deploymentExists(ctx, t, depID); err != nil {
			return err
		}
		found := make([]*store.NodeInstance, 0, len(ids))
		for _, id := range ids {
			if err := store.CheckID("node instance", id); err != nil {
				return err
			}
			ni, err := v.getInstance(ctx, t, depID, id)
			if err != nil {
				return err
			}
			found = append(found, ni)
		}
		for _, ni := range found {
			t.del(v.k.instance(depID, ni.ID))
			t.del(v.k.instNode(depID, ni.NodeID, ni.ID))
		}
		return nil
	})
}
