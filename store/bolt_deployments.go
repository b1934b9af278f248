package store

import (
	"bytes"
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/gantryhq/gantry/tosca"
)

func (v *boltView) CreateDeployment(ctx context.Context, d *Deployment) error {
	rec, instances, err := PrepareDeployment(d)
	if err != nil {
		return err
	}
	err = v.run(ctx, true, func(tx *bolt.Tx) error {
		if _, err := getBlueprint(tx, rec.BlueprintID); err != nil {
			return fmt.Errorf("deployment %q: %w", rec.ID, err)
		}
		deps, err := bucket(tx, bktDeployments)
		if err != nil {
			return err
		}
		if deps.Get([]byte(rec.ID)) != nil {
			return fmt.Errorf("deployment %q: %w", rec.ID, ErrExists)
		}
		if err := writeDeployment(tx, &rec, true); err != nil {
			return err
		}
		idx, err := bucket(tx, bktBPDeployments)
		if err != nil {
			return err
		}
		if err := idx.Put(key(rec.BlueprintID, rec.ID), empty); err != nil {
			return err
		}
		for _, name := range [][]byte{bktInstances, bktInstanceNodes} {
			parent, err := bucket(tx, name)
			if err != nil {
				return err
			}
			if _, err := parent.CreateBucketIfNotExists([]byte(rec.ID)); err != nil {
				return fmt.Errorf("deployment %q: %w", rec.ID, err)
			}
		}
		return putInstances(tx, rec.ID, instances)
	})
	if err != nil {
		return err
	}
	*d = rec
	return nil
}

// writeDeployment stores the record and, if withPlan, the plan (without
// its node instances) under their own keys.
func writeDeployment(tx *bolt.Tx, d *Deployment, withPlan bool) error {
	deps, err := bucket(tx, bktDeployments)
	if err != nil {
		return err
	}
	rec := *d
	rec.Plan = nil
	if err := putJSON(deps, "deployment", []byte(d.ID), &rec); err != nil {
		return err
	}
	if !withPlan {
		return nil
	}
	plans, err := bucket(tx, bktPlans)
	if err != nil {
		return err
	}
	plan := *d.Plan
	plan.NodeInstances = nil
	return putJSON(plans, "plan", []byte(d.ID), &plan)
}

func getDeployment(tx *bolt.Tx, id string, withPlan bool) (*Deployment, error) {
	deps, err := bucket(tx, bktDeployments)
	if err != nil {
		return nil, err
	}
	var d Deployment
	ok, err := getJSON(deps, "deployment", []byte(id), &d)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("deployment %q: %w", id, ErrNotFound)
	}
	if withPlan {
		plans, err := bucket(tx, bktPlans)
		if err != nil {
			return nil, err
		}
		d.Plan = &tosca.Plan{}
		ok, err := getJSON(plans, "plan", []byte(id), d.Plan)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("deployment %q: plan missing", id)
		}
	}
	return &d, nil
}

func (v *boltView) GetDeployment(ctx context.Context, id string) (*Deployment, error) {
	return v.readDeployment(ctx, id, true)
}

func (v *boltView) GetDeploymentRecord(ctx context.Context, id string) (*Deployment, error) {
	return v.readDeployment(ctx, id, false)
}

func (v *boltView) readDeployment(ctx context.Context, id string, withPlan bool) (*Deployment, error) {
	if err := checkID("deployment", id); err != nil {
		return nil, err
	}
	var d *Deployment
	err := v.run(ctx, false, func(tx *bolt.Tx) (err error) {
		d, err = getDeployment(tx, id, withPlan)
		return err
	})
	return d, err
}

func (v *boltView) ListDeployments(ctx context.Context, blueprintID string) ([]*Deployment, error) {
	var out []*Deployment
	err := v.run(ctx, false, func(tx *bolt.Tx) error {
		deps, err := bucket(tx, bktDeployments)
		if err != nil {
			return err
		}
		decode := func(k []byte) error {
			var d Deployment
			ok, err := getJSON(deps, "deployment", k, &d)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("deployment %q: listed in blueprint %q's index but missing", k, blueprintID)
			}
			out = append(out, &d)
			return nil
		}
		if blueprintID == "" {
			return deps.ForEach(func(k, _ []byte) error { return decode(k) })
		}
		idx, err := bucket(tx, bktBPDeployments)
		if err != nil {
			return err
		}
		p := prefix(blueprintID)
		return scanPrefix(idx, p, func(k, _ []byte) error { return decode(k[len(p):]) })
	})
	return out, err
}

func (v *boltView) UpdateDeployment(ctx context.Context, id string, fn func(*Deployment) error) (*Deployment, error) {
	if err := checkID("deployment", id); err != nil {
		return nil, err
	}
	var out *Deployment
	err := v.run(ctx, true, func(tx *bolt.Tx) error {
		d, err := getDeployment(tx, id, true)
		if err != nil {
			return err
		}
		movedFrom, err := ApplyDeploymentUpdate(id, d, fn)
		if err != nil {
			return err
		}
		if movedFrom != "" {
			if _, err := getBlueprint(tx, d.BlueprintID); err != nil {
				return fmt.Errorf("deployment %q: %w", id, err)
			}
			idx, err := bucket(tx, bktBPDeployments)
			if err != nil {
				return err
			}
			if err := idx.Delete(key(movedFrom, id)); err != nil {
				return err
			}
			if err := idx.Put(key(d.BlueprintID, id), empty); err != nil {
				return err
			}
		}
		if err := writeDeployment(tx, d, true); err != nil {
			return err
		}
		out = d
		return nil
	})
	return out, err
}

func (v *boltView) DeleteDeployment(ctx context.Context, id string, force bool) error {
	if err := checkID("deployment", id); err != nil {
		return err
	}
	return v.run(ctx, true, func(tx *bolt.Tx) error {
		d, err := getDeployment(tx, id, false)
		if err != nil {
			return err
		}
		execs, err := deploymentExecutions(tx, id)
		if err != nil {
			return err
		}
		dependents, err := bucket(tx, bktDependents)
		if err != nil {
			return err
		}
		incoming := keysWithPrefix(dependents, prefix(id))
		if !force {
			for _, e := range execs {
				if e.Status.Active() {
					return fmt.Errorf("deployment %q: execution %q (%s) is %s: %w", id, e.ID, e.WorkflowID, e.Status, ErrInUse)
				}
			}
			if len(incoming) > 0 {
				src := bytes.SplitN(incoming[0], []byte{0}, 3)[1]
				return fmt.Errorf("deployment %q: %d deployment(s) depend on it (e.g. %q): %w", id, len(incoming), src, ErrInUse)
			}
		}
		// Executions with their task records and events, a tombstone of
		// each kept.
		if err := putTombstones(tx, execs, now(), v.s.opts.DeletedExecutionTTL); err != nil {
			return err
		}
		for _, e := range execs {
			if err := deleteExecution(tx, e); err != nil {
				return err
			}
		}
		// Dependencies in both directions.
		deps, err := bucket(tx, bktDependencies)
		if err != nil {
			return err
		}
		for _, k := range keysWithPrefix(deps, prefix(id)) {
			var dep Dependency
			if _, err := getJSON(deps, "dependency", k, &dep); err != nil {
				return err
			}
			if err := deleteDependency(tx, &dep); err != nil {
				return err
			}
		}
		for _, k := range incoming {
			parts := bytes.SplitN(k, []byte{0}, 3)
			if len(parts) != 3 {
				return fmt.Errorf("dependents index: malformed key %q", k)
			}
			if err := deleteDependency(tx, &Dependency{SourceDeploymentID: string(parts[1]), TargetDeploymentID: id, Creator: string(parts[2])}); err != nil {
				return err
			}
		}
		// Node instances and their index.
		for _, name := range [][]byte{bktInstances, bktInstanceNodes} {
			parent, err := bucket(tx, name)
			if err != nil {
				return err
			}
			if parent.Bucket([]byte(id)) != nil {
				if err := parent.DeleteBucket([]byte(id)); err != nil {
					return fmt.Errorf("deployment %q: %w", id, err)
				}
			}
		}
		// The record, its plan and the blueprint index entry.
		for _, kv := range []struct {
			bkt []byte
			key []byte
		}{{bktDeployments, []byte(id)}, {bktPlans, []byte(id)}, {bktBPDeployments, key(d.BlueprintID, id)}} {
			b, err := bucket(tx, kv.bkt)
			if err != nil {
				return err
			}
			if err := b.Delete(kv.key); err != nil {
				return err
			}
		}
		return nil
	})
}

func (v *boltView) PutDependency(ctx context.Context, d *Dependency) error {
	rec, err := PrepareDependency(d)
	if err != nil {
		return err
	}
	err = v.run(ctx, true, func(tx *bolt.Tx) error {
		for _, id := range []string{rec.SourceDeploymentID, rec.TargetDeploymentID} {
			if _, err := getDeployment(tx, id, false); err != nil {
				return fmt.Errorf("dependency %s -> %s: %w", rec.SourceDeploymentID, rec.TargetDeploymentID, err)
			}
		}
		deps, err := bucket(tx, bktDependencies)
		if err != nil {
			return err
		}
		var old Dependency
		if ok, err := getJSON(deps, "dependency", key(rec.SourceDeploymentID, rec.Creator), &old); err != nil {
			return err
		} else if ok {
			if err := deleteDependency(tx, &old); err != nil {
				return err
			}
		}
		if err := putJSON(deps, "dependency", key(rec.SourceDeploymentID, rec.Creator), &rec); err != nil {
			return err
		}
		idx, err := bucket(tx, bktDependents)
		if err != nil {
			return err
		}
		return idx.Put(key(rec.TargetDeploymentID, rec.SourceDeploymentID, rec.Creator), empty)
	})
	if err != nil {
		return err
	}
	*d = rec
	return nil
}

func deleteDependency(tx *bolt.Tx, d *Dependency) error {
	deps, err := bucket(tx, bktDependencies)
	if err != nil {
		return err
	}
	idx, err := bucket(tx, bktDependents)
	if err != nil {
		return err
	}
	if err := deps.Delete(key(d.SourceDeploymentID, d.Creator)); err != nil {
		return err
	}
	return idx.Delete(key(d.TargetDeploymentID, d.SourceDeploymentID, d.Creator))
}

func (v *boltView) DeleteDependency(ctx context.Context, source, creator string) error {
	if err := checkID("source deployment", source); err != nil {
		return err
	}
	if err := checkID("dependency creator", creator); err != nil {
		return err
	}
	return v.run(ctx, true, func(tx *bolt.Tx) error {
		deps, err := bucket(tx, bktDependencies)
		if err != nil {
			return err
		}
		var d Dependency
		ok, err := getJSON(deps, "dependency", key(source, creator), &d)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("dependency %q of deployment %q: %w", creator, source, ErrNotFound)
		}
		return deleteDependency(tx, &d)
	})
}

func (v *boltView) ListDependencies(ctx context.Context, f DependencyFilter) ([]*Dependency, error) {
	var out []*Dependency
	err := v.run(ctx, false, func(tx *bolt.Tx) error {
		deps, err := bucket(tx, bktDependencies)
		if err != nil {
			return err
		}
		add := func(v []byte) error {
			var d Dependency
			if err := decodeJSON(deps, "dependency", nil, v, &d); err != nil {
				return err
			}
			if f.TargetDeploymentID == "" || d.TargetDeploymentID == f.TargetDeploymentID {
				out = append(out, &d)
			}
			return nil
		}
		switch {
		case f.SourceDeploymentID != "":
			return scanPrefix(deps, prefix(f.SourceDeploymentID), func(_, v []byte) error { return add(v) })
		case f.TargetDeploymentID != "":
			idx, err := bucket(tx, bktDependents)
			if err != nil {
				return err
			}
			return scanPrefix(idx, prefix(f.TargetDeploymentID), func(k, _ []byte) error {
				parts := bytes.SplitN(k, []byte{0}, 3)
				if len(parts) != 3 {
					return fmt.Errorf("dependents index: malformed key %q", k)
				}
				v := deps.Get(key(string(parts[1]), string(parts[2])))
				if v == nil {
					return fmt.Errorf("dependents index: dependency %q of %q missing", parts[2], parts[1])
				}
				return add(v)
			})
		default:
			return deps.ForEach(func(_, v []byte) error { return add(v) })
		}
	})
	return out, err
}
