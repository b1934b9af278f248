package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/gantryhq/gantry/tosca"
)

// Check verifies the file's structure (verifyFile: bbolt's own page rules,
// on bounds-checked reads, so that a damaged file cannot crash it), then
// checks every reference between records in one pass per bucket (linear in
// the store's size). A file too damaged to open gives its problems, not an
// error.
func (v *boltView) Check(ctx context.Context) ([]string, error) {
	var problems []string
	err := v.run(ctx, false, func(tx *bolt.Tx) error {
		found, err := verifyFile(tx.DB().Path())
		if err != nil {
			return err
		}
		for _, p := range found {
			problems = append(problems, "file: "+p)
		}
		if len(problems) > 0 {
			return nil // the records cannot be trusted, nor read safely
		}
		for _, name := range allBuckets {
			if tx.Bucket(name) == nil {
				problems = append(problems, fmt.Sprintf("bucket %s missing", name))
			}
		}
		if len(problems) > 0 {
			return nil
		}
		c := &checker{tx: tx}
		c.run()
		problems = c.problems
		return nil
	})
	if errors.Is(err, ErrDamaged) && len(problems) == 0 {
		found, verr := verifyFile(v.s.path)
		if verr != nil {
			return nil, err
		}
		for _, p := range found {
			problems = append(problems, "file: "+p)
		}
		if len(problems) == 0 {
			problems = []string{err.Error()}
		}
		return problems, nil
	}
	return problems, err
}

type checker struct {
	tx       *bolt.Tx
	problems []string
}

// pairs reads the entries of an index of two ids made when first written.
func (c *checker) pairs(name []byte) map[IndexPair]bool {
	out := map[IndexPair]bool{}
	if b := c.tx.Bucket(name); b != nil {
		_ = b.ForEach(func(k, _ []byte) error {
			if p := c.split(string(name), k, 2); p != nil {
				out[IndexPair{p[0], p[1]}] = true
			}
			return nil
		})
	}
	return out
}

func (c *checker) addf(format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

// split splits an index key into n NUL-separated parts, or reports it.
func (c *checker) split(index string, k []byte, n int) []string {
	parts := bytes.SplitN(k, []byte{0}, n)
	if len(parts) != n {
		c.addf("%s: malformed key %q", index, k)
		return nil
	}
	out := make([]string, n)
	for i, p := range parts {
		out[i] = string(p)
	}
	return out
}

func (c *checker) run() {
	tx := c.tx
	bps, archives := tx.Bucket(bktBlueprints), tx.Bucket(bktArchives)
	deps, plans := tx.Bucket(bktDeployments), tx.Bucket(bktPlans)
	execs := tx.Bucket(bktExecutions)

	// Blueprints and their archives.
	wantImporters, wantHeld := map[IndexPair]bool{}, map[IndexPair]bool{}
	_ = bps.ForEach(func(k, v []byte) error {
		var bp Blueprint
		if err := json.Unmarshal(v, &bp); err != nil {
			c.addf("blueprint %q: undecodable: %v", k, err)
		} else if bp.ID != string(k) {
			c.addf("blueprint %q: record says id %q", k, bp.ID)
		}
		for _, imported := range bp.Imports {
			wantImporters[IndexPair{imported, bp.ID}] = true
		}
		if archives.Get(k) == nil {
			c.addf("blueprint %q: archive missing", k)
		}
		return nil
	})
	_ = archives.ForEach(func(k, _ []byte) error {
		if bps.Get(k) == nil {
			c.addf("blueprint archive %q: no such blueprint", k)
		}
		return nil
	})

	// Deployments: blueprint, plan, instances; then the indexes back.
	nodesOf := map[string]map[string]bool{} // deployment -> node ids of its plan
	_ = deps.ForEach(func(k, v []byte) error {
		id := string(k)
		var d Deployment
		if err := json.Unmarshal(v, &d); err != nil {
			c.addf("deployment %q: undecodable: %v", id, err)
			return nil
		}
		if d.ID != id {
			c.addf("deployment %q: record says id %q", id, d.ID)
		}
		if bps.Get([]byte(d.BlueprintID)) == nil {
			c.addf("deployment %q: blueprint %q does not exist", id, d.BlueprintID)
		}
		if tx.Bucket(bktBPDeployments).Get(key(d.BlueprintID, id)) == nil {
			c.addf("deployment %q: missing from blueprint %q's index", id, d.BlueprintID)
		}
		var plan tosca.Plan
		if raw := plans.Get(k); raw == nil {
			c.addf("deployment %q: plan missing", id)
		} else if err := json.Unmarshal(raw, &plan); err != nil {
			c.addf("deployment %q: plan undecodable: %v", id, err)
		} else {
			nodesOf[id] = PlanNodeIDs(&plan)
		}
		return nil
	})
	_ = plans.ForEach(func(k, _ []byte) error {
		if deps.Get(k) == nil {
			c.addf("plan %q: no such deployment", k)
		}
		return nil
	})
	_ = tx.Bucket(bktBPDeployments).ForEach(func(k, _ []byte) error {
		if p := c.split("blueprint index", k, 2); p != nil {
			var d Deployment
			if ok, err := getJSON(deps, "deployment", []byte(p[1]), &d); !ok || err != nil || d.BlueprintID != p[0] {
				c.addf("blueprint index: deployment %q of blueprint %q does not exist", p[1], p[0])
			}
		}
		return nil
	})
	pending := map[string]bool{}
	_ = execs.ForEach(func(_, v []byte) error {
		var e Execution
		if json.Unmarshal(v, &e) == nil {
			PendingAdditions(&e, pending)
			if held := e.HeldBlueprint(); held != "" {
				wantHeld[IndexPair{held, e.ID}] = true
			}
		}
		return nil
	})
	if tx.Bucket(bktBPImporters) != nil { // else made, whole, by the next blueprint write
		c.problems = append(c.problems, IndexProblems("blueprint importers index", wantImporters, c.pairs(bktBPImporters))...)
	}
	c.problems = append(c.problems, IndexProblems("blueprint executions index", wantHeld, c.pairs(bktBPExecutions))...)
	c.checkInstances(deps, nodesOf, pending)
	c.checkExecutions(deps, execs)
	c.checkDependencies(deps)
	_ = tx.Bucket(bktSecrets).ForEach(func(k, v []byte) error {
		var s Secret
		if err := json.Unmarshal(v, &s); err != nil || s.Key != string(k) {
			c.addf("secret %q: undecodable or mismatched key", k) // never the value
		}
		return nil
	})
	c.checkTokens()
	c.checkAudit()
	c.checkSessions()
	c.checkTombstones()
}

func (c *checker) checkTokens() {
	_ = c.tx.Bucket(bktTokens).ForEach(func(k, v []byte) error {
		var t Token
		if err := json.Unmarshal(v, &t); err != nil || t.ID != string(k) {
			c.addf("token %q: undecodable or mismatched id", k) // never the hash
		} else if err := CheckToken(&t); err != nil {
			c.addf("token %q: %v", k, err)
		}
		return nil
	})
}

func (c *checker) checkAudit() {
	b := c.tx.Bucket(bktAudit)
	_ = b.ForEach(func(k, v []byte) error {
		var r AuditRecord
		switch {
		case len(k) != 8:
			c.addf("audit key %x: not a sequence number", k)
		case json.Unmarshal(v, &r) != nil:
			c.addf("audit record %d: undecodable", binary.BigEndian.Uint64(k))
		case r.Seq != binary.BigEndian.Uint64(k):
			c.addf("audit record %d: record says seq %d", binary.BigEndian.Uint64(k), r.Seq)
		case r.Seq > b.Sequence():
			c.addf("audit record %d: beyond the log's sequence %d", r.Seq, b.Sequence())
		}
		return nil
	})
}

func (c *checker) checkInstances(deps *bolt.Bucket, nodesOf map[string]map[string]bool, pending map[string]bool) {
	insts, byNode := c.tx.Bucket(bktInstances), c.tx.Bucket(bktInstanceNodes)
	_ = deps.ForEach(func(k, _ []byte) error {
		if insts.Bucket(k) == nil || byNode.Bucket(k) == nil {
			c.addf("deployment %q: node instance buckets missing", k)
		}
		return nil
	})
	_ = insts.ForEachBucket(func(dep []byte) error {
		depID := string(dep)
		if deps.Get(dep) == nil {
			c.addf("node instances of deployment %q: no such deployment", depID)
			return nil
		}
		idx := byNode.Bucket(dep)
		nodes := nodesOf[depID]
		return insts.Bucket(dep).ForEach(func(k, v []byte) error {
			var ni NodeInstance
			if err := json.Unmarshal(v, &ni); err != nil {
				c.addf("node instance %q of deployment %q: undecodable: %v", k, depID, err)
				return nil
			}
			switch {
			case ni.ID != string(k):
				c.addf("node instance %q of deployment %q: record says id %q", k, depID, ni.ID)
			case ni.DeploymentID != depID:
				c.addf("node instance %q of deployment %q: record says deployment %q", k, depID, ni.DeploymentID)
			case !ni.State.Valid():
				c.addf("node instance %q of deployment %q: unknown state %q", k, depID, ni.State)
			case ni.Version < 1:
				c.addf("node instance %q of deployment %q: version %d", k, depID, ni.Version)
			}
			if nodes != nil && !nodes[ni.NodeID] && !pending[depID+"/"+ni.ID] {
				c.addf("node instance %q of deployment %q: node %q is not in the plan", k, depID, ni.NodeID)
			}
			if idx != nil && idx.Get(key(ni.NodeID, ni.ID)) == nil {
				c.addf("node instance %q of deployment %q: missing from the node index", k, depID)
			}
			return nil
		})
	})
	_ = byNode.ForEachBucket(func(dep []byte) error {
		b := insts.Bucket(dep)
		if b == nil {
			c.addf("node index of deployment %q: no such deployment", dep)
			return nil
		}
		return byNode.Bucket(dep).ForEach(func(k, _ []byte) error {
			if p := c.split("node index", k, 2); p != nil {
				var ni NodeInstance
				if ok, err := getJSON(b, "node instance", []byte(p[1]), &ni); !ok || err != nil || ni.NodeID != p[0] {
					c.addf("node index of deployment %q: instance %q of node %q does not exist", dep, p[1], p[0])
				}
			}
			return nil
		})
	})
}

func (c *checker) checkExecutions(deps, execs *bolt.Bucket) {
	idx := c.tx.Bucket(bktDepExecutions)
	_ = execs.ForEach(func(k, v []byte) error {
		var e Execution
		if err := json.Unmarshal(v, &e); err != nil {
			c.addf("execution %q: undecodable: %v", k, err)
			return nil
		}
		if e.ID != string(k) {
			c.addf("execution %q: record says id %q", k, e.ID)
		}
		if !e.Status.Valid() {
			c.addf("execution %q: unknown status %q", k, e.Status)
		}
		if deps.Get([]byte(e.DeploymentID)) == nil {
			c.addf("execution %q: deployment %q does not exist", k, e.DeploymentID)
		}
		if idx.Get(key(e.DeploymentID, e.ID)) == nil {
			c.addf("execution %q: missing from deployment %q's index", k, e.DeploymentID)
		}
		return nil
	})
	_ = idx.ForEach(func(k, _ []byte) error {
		if p := c.split("executions index", k, 2); p != nil {
			var e Execution
			if ok, err := getJSON(execs, "execution", []byte(p[1]), &e); !ok || err != nil || e.DeploymentID != p[0] {
				c.addf("executions index: execution %q of deployment %q does not exist", p[1], p[0])
			}
		}
		return nil
	})
	tasks := c.tx.Bucket(bktTasks)
	_ = tasks.ForEachBucket(func(exec []byte) error {
		if execs.Get(exec) == nil {
			c.addf("task records of execution %q: no such execution", exec)
			return nil
		}
		return tasks.Bucket(exec).ForEach(func(k, v []byte) error {
			var t Task
			if err := json.Unmarshal(v, &t); err != nil || t.ID != string(k) || t.ExecutionID != string(exec) || !t.Status.Valid() {
				c.addf("task %q of execution %q: undecodable or inconsistent", k, exec)
			}
			return nil
		})
	})
	events := c.tx.Bucket(bktEvents)
	_ = events.ForEachBucket(func(exec []byte) error {
		if execs.Get(exec) == nil {
			c.addf("events of execution %q: no such execution", exec)
			return nil
		}
		c.checkEvents("execution", exec, events.Bucket(exec))
		return nil
	})
}

// checkEvents reports damaged events in b, the events' bucket of the
// execution (of kind: "execution", "deleted execution") exec.
func (c *checker) checkEvents(kind string, exec []byte, b *bolt.Bucket) {
	_ = b.ForEach(func(k, v []byte) error {
		var ev Event
		switch {
		case len(k) != 8:
			c.addf("event key %x of %s %q: not a sequence number", k, kind, exec)
		case json.Unmarshal(v, &ev) != nil:
			c.addf("event %d of %s %q: undecodable", binary.BigEndian.Uint64(k), kind, exec)
		case (ev.Seq != 0 && ev.Seq != binary.BigEndian.Uint64(k)) || (ev.ExecutionID != "" && ev.ExecutionID != string(exec)):
			// Records of earlier versions carry seq and execution.
			c.addf("event %d of %s %q: record says seq %d, execution %q", binary.BigEndian.Uint64(k), kind, exec, ev.Seq, ev.ExecutionID)
		case binary.BigEndian.Uint64(k) > b.Sequence():
			c.addf("event %d of %s %q: beyond the bucket's sequence %d", binary.BigEndian.Uint64(k), kind, exec, b.Sequence())
		}
		return nil
	})
}

func (c *checker) checkDependencies(deps *bolt.Bucket) {
	dependencies, dependents := c.tx.Bucket(bktDependencies), c.tx.Bucket(bktDependents)
	_ = dependencies.ForEach(func(k, v []byte) error {
		var d Dependency
		if err := json.Unmarshal(v, &d); err != nil {
			c.addf("dependency %q: undecodable: %v", k, err)
			return nil
		}
		if !bytes.Equal(k, key(d.SourceDeploymentID, d.Creator)) {
			c.addf("dependency %q: key does not match the record", k)
		}
		for _, id := range []string{d.SourceDeploymentID, d.TargetDeploymentID} {
			if deps.Get([]byte(id)) == nil {
				c.addf("dependency %s -> %s (%s): deployment %q does not exist", d.SourceDeploymentID, d.TargetDeploymentID, d.Creator, id)
			}
		}
		if dependents.Get(key(d.TargetDeploymentID, d.SourceDeploymentID, d.Creator)) == nil {
			c.addf("dependency %s -> %s (%s): missing from the dependents index", d.SourceDeploymentID, d.TargetDeploymentID, d.Creator)
		}
		return nil
	})
	_ = dependents.ForEach(func(k, _ []byte) error {
		if p := c.split("dependents index", k, 3); p != nil {
			var d Dependency
			if ok, err := getJSON(dependencies, "dependency", key(p[1], p[2]), &d); !ok || err != nil || d.TargetDeploymentID != p[0] {
				c.addf("dependents index: dependency %s -> %s (%s) does not exist", p[1], p[0], p[2])
			}
		}
		return nil
	})
}
