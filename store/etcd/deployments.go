package etcdstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/tosca"
)

func (v *view) CreateDeployment(ctx context.Context, d *store.Deployment) error {
	rec, instances, err := store.PrepareDeployment(d)
	if err != nil {
		return err
	}
	err = v.run(ctx, func(t *tx) error {
		if ok, err := t.exists(ctx, v.k.blueprint(rec.BlueprintID)); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("deployment %q: blueprint %q: %w", rec.ID, rec.BlueprintID, store.ErrNotFound)
		}
		if ok, err := t.exists(ctx, v.k.deployment(rec.ID)); err != nil {
			return err
		} else if ok {
			return fmt.Errorf("deployment %q: %w", rec.ID, store.ErrExists)
		}
		// Instances of a create that died before its record go first; the
		// record is the commit point and is written last.
		for _, kind := range []string{kindInstance, kindInstNode} {
			left, err := t.scan(ctx, v.k.under(kind, rec.ID), true)
			if err != nil {
				return err
			}
			if len(left) > 0 {
				t.delPrefix(v.k.under(kind, rec.ID))
			}
		}
		if err := v.putInstances(ctx, t, rec.ID, instances); err != nil {
			return err
		}
		t.putRaw(v.k.bpDep(rec.BlueprintID, rec.ID), nil)
		return v.writeDeployment(ctx, t, &rec)
	})
	if err != nil {
		return err
	}
	*d = rec
	return nil
}

// A deployment is its record and its plan (a blob, blob.go). The two
// switch together for readers even when the write is committed in parts
// (a plan beyond one etcd transaction, doc.go): the plan's manifest names
// the record written with it (Owner, the SHA-256 of the record's value)
// and keeps the plan before it (Prev) until then. A write puts the new
// chunks, the manifest with Prev, the record, the old chunks' deletion,
// then the manifest without Prev; a reader whose record is not the
// manifest's Owner reads Prev, whose chunks are still there.

// writeDeployment buffers the plan (without its node instances) and the
// record (see above).
func (v *view) writeDeployment(ctx context.Context, t *tx, d *store.Deployment) error {
	rec := *d
	rec.Plan = nil
	raw, err := json.Marshal(&rec)
	if err != nil {
		return fmt.Errorf("encode deployment %q: %w", d.ID, err)
	}
	plan := *d.Plan
	plan.NodeInstances = nil
	key, mkey, chunks := v.k.deployment(d.ID), v.k.plan(d.ID), v.k.planChunks(d.ID)
	cur, err := v.planManifest(ctx, t, d.ID)
	if err != nil {
		return err
	}
	// Chunks no reader reads (of a write that died before its commit
	// point) go now; the current plan's after the record.
	have, err := t.scan(ctx, chunks, true)
	if err != nil {
		return err
	}
	m, err := v.writeChunks(t, "plan", mkey, chunks, &plan)
	if err != nil {
		return err
	}
	m.Owner = ownerOf(raw)
	for _, c := range have {
		sha, _, _ := strings.Cut(strings.TrimPrefix(c.key, chunks), sep)
		if sha != m.SHA256 && (cur == nil || sha != cur.SHA256) {
			t.del(c.key)
		}
	}
	if cur == nil || cur.SHA256 == m.SHA256 {
		// A new deployment, or the same plan: the manifest first, so
		// that a record is never without its plan.
		if err := t.put("plan", mkey, m); err != nil {
			return err
		}
		t.putRaw(key, raw)
		return nil
	}
	before := *m
	before.Prev = &manifest{SHA256: cur.SHA256, Size: cur.Size, Chunks: cur.Chunks}
	if err := t.put("plan", mkey, &before); err != nil {
		return err
	}
	t.putRaw(key, raw)
	dropChunks(t, chunks, cur, m)
	return t.put("plan", mkey, m)
}

// ownerOf names a deployment record's value in its plan's manifest.
func ownerOf(record []byte) string {
	sum := sha256.Sum256(record)
	return hex.EncodeToString(sum[:])
}

// planManifest returns the manifest of the deployment's plan as readers
// see it (nil when there is none).
func (v *view) planManifest(ctx context.Context, t *tx, id string) (*manifest, error) {
	m, err := v.blobManifest(ctx, t, "plan", v.k.plan(id))
	if err != nil || m == nil || m.Prev == nil {
		return m, err
	}
	raw, ok, err := t.getRaw(ctx, v.k.deployment(id))
	if err != nil {
		return nil, err
	}
	return effectivePlan(m, raw, ok), nil
}

// effectivePlan is the plan readers read of manifest m, given the
// record's value (ok: there is one): m's own, unless m keeps the plan
// before it (Prev) and its record was not written.
func effectivePlan(m *manifest, record []byte, ok bool) *manifest {
	if m.Prev == nil || ok && ownerOf(record) == m.Owner {
		return m
	}
	return m.Prev
}

func (v *view) getDeployment(ctx context.Context, t *tx, id string, withPlan bool) (*store.Deployment, error) {
	var d store.Deployment
	key := v.k.deployment(id)
	raw, ok, err := t.getRaw(ctx, key)
	if ok, err = decode("deployment", key, raw, ok, err, &d); err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("deployment %q: %w", id, store.ErrNotFound)
	}
	if withPlan {
		m, err := v.blobManifest(ctx, t, "plan", v.k.plan(id))
		if err != nil {
			return nil, err
		}
		if m == nil {
			return nil, fmt.Errorf("deployment %q: plan missing", id)
		}
		m = effectivePlan(m, raw, true)
		d.Plan = &tosca.Plan{}
		if err := v.readChunks(ctx, t, "plan", v.k.plan(id), v.k.planChunks(id), m, d.Plan); err != nil {
			return nil, err
		}
	}
	return &d, nil
}

// deploymentExists fails with ErrNotFound unless the deployment exists
// (guarding its existence only).
func (v *view) deploymentExists(ctx context.Context, t *tx, id string) error {
	ok, err := t.exists(ctx, v.k.deployment(id))
	if err == nil && !ok {
		err = fmt.Errorf("deployment %q: %w", id, store.ErrNotFound)
	}
	return err
}

func (v *view) GetDeployment(ctx context.Context, id string) (*store.Deployment, error) {
	return v.readDeployment(ctx, id, true)
}

func (v *view) GetDeploymentRecord(ctx context.Context, id string) (*store.Deployment, error) {
	return v.readDeployment(ctx, id, false)
}

func (v *view) readDeployment(ctx context.Context, id string, withPlan bool) (*store.Deployment, error) {
	if err := store.CheckID("deployment", id); err != nil {
		return nil, err
	}
	var d *store.Deployment
	err := v.run(ctx, func(t *tx) (err error) {
		d, err = v.getDeployment(ctx, t, id, withPlan)
		return err
	})
	return d, err
}

func (v *view) ListDeployments(ctx context.Context, blueprintID string) ([]*store.Deployment, error) {
	var out []*store.Deployment
	err := v.run(ctx, func(t *tx) error {
		out = nil
		if blueprintID == "" {
			return listJSON(ctx, t, "deployment", v.k.all(kindDeploy), &out)
		}
		p := v.k.under(kindBPDeps, blueprintID)
		idx, err := t.scan(ctx, p, true)
		if err != nil {
			return err
		}
		for _, x := range idx {
			d, err := v.getDeployment(ctx, t, x.key[len(p):], false)
			if err != nil {
				return fmt.Errorf("blueprint %q's index: %w", blueprintID, err)
			}
			out = append(out, d)
		}
		return nil
	})
	return out, err
}

func (v *view) UpdateDeployment(ctx context.Context, id string, fn func(*store.Deployment) error) (*store.Deployment, error) {
	if err := store.CheckID("deployment", id); err != nil {
		return nil, err
	}
	var out *store.Deployment
	err := v.run(ctx, func(t *tx) error {
		d, err := v.getDeployment(ctx, t, id, true)
		if err != nil {
			return err
		}
		movedFrom, err := store.ApplyDeploymentUpdate(id, d, fn)
		if err != nil {
			return err
		}
		if movedFrom != "" {
			if ok, err := t.exists(ctx, v.k.blueprint(d.BlueprintID)); err != nil {
				return err
			} else if !ok {
				return fmt.Errorf("deployment %q: blueprint %q: %w", id, d.BlueprintID, store.ErrNotFound)
			}
			t.del(v.k.bpDep(movedFrom, id))
			t.putRaw(v.k.bpDep(d.BlueprintID, id), nil)
		}
		out = d
		return v.writeDeployment(ctx, t, d)
	})
	return out, err
}

func (v *view) DeleteDeployment(ctx context.Context, id string, force bool) error {
	if err := store.CheckID("deployment", id); err != nil {
		return err
	}
	var lease clientv3.LeaseID // of the tombstones, granted once
	return v.run(ctx, func(t *tx) error {
		d, err := v.getDeployment(ctx, t, id, false)
		if err != nil {
			return err
		}
		execs, err := v.deploymentExecutions(ctx, t, id)
		if err != nil {
			return err
		}
		if len(execs) > 0 && lease == 0 {
			if lease, err = v.s.tombstoneLease(ctx); err != nil {
				return err
			}
		}
		incoming, err := t.scan(ctx, v.k.under(kindDependent, id), true)
		if err != nil {
			return err
		}
		if !force {
			for _, e := range execs {
				if e.Status.Active() {
					return fmt.Errorf("deployment %q: execution %q (%s) is %s: %w", id, e.ID, e.WorkflowID, e.Status, store.ErrInUse)
				}
			}
			if len(incoming) > 0 {
				src := v.k.split(kindDependent, incoming[0].key)[1]
				return fmt.Errorf("deployment %q: %d deployment(s) depend on it (e.g. %q): %w", id, len(incoming), src, store.ErrInUse)
			}
		}
		outgoing, err := v.scanDependencies(ctx, t, v.k.under(kindDepend, id))
		if err != nil {
			return err
		}
		// The record first: once it is gone the rest is unreachable, so
		// even a delete split over several transactions never shows a
		// half-deleted deployment.
		t.del(v.k.deployment(id))
		t.del(v.k.plan(id))
		t.delPrefix(v.k.planChunks(id))
		t.del(v.k.bpDep(d.BlueprintID, id))
		at := store.Now()
		for _, e := range execs {
			// The tombstone before the record goes: a reader between two
			// transactions of a large delete finds one or the other. And
			// before the events go: the revision before the tombstone's
			// has them all (DeletedEvents).
			rec := store.Tombstone(e, at)
			if err := t.putLeased("deleted execution", v.k.deleted(e.ID), &rec, lease); err != nil {
				return err
			}
			t.del(v.k.execution(e.ID))
			if e.InQueue() {
				t.del(v.k.queue(e.ID))
			}
			v.moveHeld(t, e.ID, e.HeldBlueprint(), "")
		}
		for _, kind := range []string{kindInstance, kindInstNode, kindDepExec, kindTask, kindEvent, kindEventSeq, kindDepend, kindDependent} {
			t.delPrefix(v.k.under(kind, id))
		}
		for _, dep := range outgoing {
			t.del(v.k.dependent(dep.TargetDeploymentID, id, dep.Creator))
		}
		for _, x := range incoming {
			p := v.k.split(kindDependent, x.key)
			t.del(v.k.dependency(p[1], p[2]))
		}
		return nil
	})
}

func (v *view) scanDependencies(ctx context.Context, t *tx, p string) ([]*store.Dependency, error) {
	var out []*store.Dependency
	err := listJSON(ctx, t, "dependency", p, &out)
	return out, err
}

func (v *view) PutDependency(ctx context.Context, d *store.Dependency) error {
	rec, err := store.PrepareDependency(d)
	if err != nil {
		return err
	}
	err = v.run(ctx, func(t *tx) error {
		for _, id := range []string{rec.SourceDeploymentID, rec.TargetDeploymentID} {
			if err := v.deploymentExists(ctx, t, id); err != nil {
				return fmt.Errorf("dependency %s -> %s: %w", rec.SourceDeploymentID, rec.TargetDeploymentID, err)
			}
		}
		var old store.Dependency
		k := v.k.dependency(rec.SourceDeploymentID, rec.Creator)
		if ok, err := t.get(ctx, "dependency", k, &old); err != nil {
			return err
		} else if ok {
			t.del(v.k.dependent(old.TargetDeploymentID, old.SourceDeploymentID, old.Creator))
		}
		if err := t.put("dependency", k, &rec); err != nil {
			return err
		}
		t.putRaw(v.k.dependent(rec.TargetDeploymentID, rec.SourceDeploymentID, rec.Creator), nil)
		return nil
	})
	if err != nil {
		return err
	}
	*d = rec
	return nil
}

func (v *view) DeleteDependency(ctx context.Context, source, creator string) error {
	if err := store.CheckID("source deployment", source); err != nil {
		return err
	}
	if err := store.CheckID("dependency creator", creator); err != nil {
		return err
	}
	return v.run(ctx, func(t *tx) error {
		var d store.Dependency
		k := v.k.dependency(source, creator)
		ok, err := t.get(ctx, "dependency", k, &d)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("dependency %q of deployment %q: %w", creator, source, store.ErrNotFound)
		}
		t.del(k)
		t.del(v.k.dependent(d.TargetDeploymentID, source, creator))
		return nil
	})
}

func (v *view) ListDependencies(ctx context.Context, f store.DependencyFilter) ([]*store.Dependency, error) {
	var out []*store.Dependency
	err := v.run(ctx, func(t *tx) error {
		out = nil
		switch {
		case f.SourceDeploymentID != "":
			all, err := v.scanDependencies(ctx, t, v.k.under(kindDepend, f.SourceDeploymentID))
			if err != nil {
				return err
			}
			for _, d := range all {
				if f.TargetDeploymentID == "" || d.TargetDeploymentID == f.TargetDeploymentID {
					out = append(out, d)
				}
			}
			return nil
		case f.TargetDeploymentID != "":
			idx, err := t.scan(ctx, v.k.under(kindDependent, f.TargetDeploymentID), true)
			if err != nil {
				return err
			}
			for _, x := range idx {
				p := v.k.split(kindDependent, x.key)
				var d store.Dependency
				ok, err := t.get(ctx, "dependency", v.k.dependency(p[1], p[2]), &d)
				if err != nil {
					return err
				}
				if !ok {
					return fmt.Errorf("dependents index: dependency %q of %q missing", p[2], p[1])
				}
				out = append(out, &d)
			}
			return nil
		default:
			var err error
			out, err = v.scanDependencies(ctx, t, v.k.all(kindDepend))
			return err
		}
	})
	return out, err
}
