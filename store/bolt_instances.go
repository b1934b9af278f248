package store

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// instanceBuckets returns the deployment's instance bucket and node index.
func instanceBuckets(tx *bolt.Tx, depID string) (insts, byNode *bolt.Bucket, err error) {
	parent, err := bucket(tx, bktInstances)
	if err != nil {
		return nil, nil, err
	}
	idxParent, err := bucket(tx, bktInstanceNodes)
	if err != nil {
		return nil, nil, err
	}
	insts, byNode = parent.Bucket([]byte(depID)), idxParent.Bucket([]byte(depID))
	if insts == nil || byNode == nil {
		return nil, nil, fmt.Errorf("deployment %q: %w", depID, ErrNotFound)
	}
	return insts, byNode, nil
}

// putInstances validates then writes new instances (version 1) with their
// index entries; ErrExists if one exists, and then nothing is written.
func putInstances(tx *bolt.Tx, depID string, instances []*NodeInstance) error {
	insts, byNode, err := instanceBuckets(tx, depID)
	if err != nil {
		return err
	}
	if _, err := CheckNewInstances(depID, instances); err != nil {
		return err
	}
	for _, ni := range instances {
		if insts.Get([]byte(ni.ID)) != nil {
			return fmt.Errorf("node instance %q of deployment %q: %w", ni.ID, depID, ErrExists)
		}
	}
	t := now()
	for _, in := range instances {
		ni := NewInstanceRecord(in, depID, t)
		if err := putJSON(insts, "node instance", []byte(ni.ID), &ni); err != nil {
			return err
		}
		if err := byNode.Put(key(ni.NodeID, ni.ID), empty); err != nil {
			return err
		}
		*in = ni
	}
	return nil
}

func getInstance(insts *bolt.Bucket, depID, id string) (*NodeInstance, error) {
	var ni NodeInstance
	ok, err := getJSON(insts, "node instance", []byte(id), &ni)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("node instance %q of deployment %q: %w", id, depID, ErrNotFound)
	}
	return &ni, nil
}

func (v *boltView) GetNodeInstance(ctx context.Context, depID, id string) (*NodeInstance, error) {
	if err := checkID("deployment", depID); err != nil {
		return nil, err
	}
	if err := checkID("node instance", id); err != nil {
		return nil, err
	}
	var ni *NodeInstance
	err := v.run(ctx, false, func(tx *bolt.Tx) error {
		insts, _, err := instanceBuckets(tx, depID)
		if err != nil {
			return err
		}
		ni, err = getInstance(insts, depID, id)
		return err
	})
	return ni, err
}

func (v *boltView) ListNodeInstances(ctx context.Context, depID, nodeID string) ([]*NodeInstance, error) {
	if err := checkID("deployment", depID); err != nil {
		return nil, err
	}
	var out []*NodeInstance
	err := v.run(ctx, false, func(tx *bolt.Tx) error {
		insts, byNode, err := instanceBuckets(tx, depID)
		if err != nil {
			return err
		}
		if nodeID == "" {
			return insts.ForEach(func(k, _ []byte) error {
				ni, err := getInstance(insts, depID, string(k))
				if err != nil {
					return err
				}
				out = append(out, ni)
				return nil
			})
		}
		p := prefix(nodeID)
		return scanPrefix(byNode, p, func(k, _ []byte) error {
			ni, err := getInstance(insts, depID, string(k[len(p):]))
			if err != nil {
				return fmt.Errorf("node index of deployment %q: %w", depID, err)
			}
			out = append(out, ni)
			return nil
		})
	})
	return out, err
}

func (v *boltView) UpdateNodeInstance(ctx context.Context, depID, id string, expectedVersion int, fn func(*NodeInstance) error) (*NodeInstance, error) {
	if err := checkID("deployment", depID); err != nil {
		return nil, err
	}
	if err := checkID("node instance", id); err != nil {
		return nil, err
	}
	var out *NodeInstance
	err := v.run(ctx, true, func(tx *bolt.Tx) error {
		insts, _, err := instanceBuckets(tx, depID)
		if err != nil {
			return err
		}
		ni, err := getInstance(insts, depID, id)
		if err != nil {
			return err
		}
		if err := ApplyInstanceUpdate(depID, id, ni, expectedVersion, fn); err != nil {
			return err
		}
		if err := putJSON(insts, "node instance", []byte(id), ni); err != nil {
			return err
		}
		out = ni
		return nil
	})
	return out, err
}

func (v *boltView) SetNodeInstanceState(ctx context.Context, depID, id string, state State) (*NodeInstance, error) {
	if !state.Valid() {
		return nil, fmt.Errorf("node instance %q: unknown state %q: %w", id, state, ErrInvalid)
	}
	return v.UpdateNodeInstance(ctx, depID, id, AnyVersion, func(ni *NodeInstance) error {
		ni.State = state
		return nil
	})
}

func (v *boltView) CreateNodeInstances(ctx context.Context, depID string, instances []*NodeInstance) error {
	if err := checkID("deployment", depID); err != nil {
		return err
	}
	return v.run(ctx, true, func(tx *bolt.Tx) error {
		return putInstances(tx, depID, instances)
	})
}

func (v *boltView) DeleteNodeInstances(ctx context.Context, depID string, ids []string) error {
	if err := checkID("deployment", depID); err != nil {
		return err
	}
	return v.run(ctx, true, func(tx *bolt.Tx) error {
		insts, byNode, err := instanceBuckets(tx, depID)
		if err != nil {
			return err
		}
		found := make([]*NodeInstance, 0, len(ids))
		for _, id := range ids {
			if err := checkID("node instance", id); err != nil {
				return err
			}
			ni, err := getInstance(insts, depID, id)
			if err != nil {
				return err
			}
			found = append(found, ni)
		}
		for _, ni := range found {
			if err := insts.Delete([]byte(ni.ID)); err != nil {
				return err
			}
			if err := byNode.Delete(key(ni.NodeID, ni.ID)); err != nil {
				return err
			}
		}
		return nil
	})
}
