package etcdstore

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/tosca"
)

// Check reads every key under the prefix at one revision (in pages) and
// checks each record and every reference between records, in one pass
// plus map lookups (linear in the store's size).
func (v *view) Check(ctx context.Context) ([]string, error) {
	var c *checker
	err := v.run(ctx, func(t *tx) error {
		all, err := t.scan(ctx, v.k.p, false)
		if err != nil {
			return err
		}
		c = &checker{k: v.k, by: map[string]map[string][]byte{}}
		for _, x := range all {
			rest := strings.TrimPrefix(x.key, v.k.p)
			kind := rest
			if i := strings.IndexByte(rest, '/'); i >= 0 {
				kind = rest[:i+1]
			}
			if c.by[kind] == nil {
				c.by[kind] = map[string][]byte{}
			}
			c.by[kind][strings.TrimPrefix(rest, kind)] = x.val
		}
		c.run()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c.problems, nil
}

type checker struct {
	k        keys
	by       map[string]map[string][]byte // kind -> rest of key -> value
	problems []string
}

func (c *checker) addf(format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

func j(parts ...string) string { return strings.Join(parts, sep) }

// pairs reads the entries of an index of two ids.
func (c *checker) pairs(kind string) map[store.IndexPair]bool {
	out := map[store.IndexPair]bool{}
	for rest := range c.by[kind] {
		if p := c.parts(kind, rest, 2); p != nil {
			out[store.IndexPair{p[0], p[1]}] = true
		}
	}
	return out
}

// parts splits an index key into exactly n parts, or reports it.
func (c *checker) parts(kind, rest string, n int) []string {
	p := strings.SplitN(rest, sep, n)
	if len(p) != n {
		c.addf("%s%q: malformed key", kind, rest)
		return nil
	}
	return p
}

func (c *checker) run() {
	for kind := range c.by {
		switch kind {
		case kindSchema, kindBlueprint, kindArchive, kindBPDeps, kindBPImport, kindBPImportWhole, kindBPExec, kindDeploy, kindPlan, kindPlanChunk, kindInstance, kindInstNode,
			kindExec, kindDepExec, kindTask, kindEvent, kindEventSeq, kindDepend, kindDependent, kindSecret, kindToken, kindAudit, kindAuditSeq, kindSession,
			kindClaim, kindQueue, kindWorker, kindDeleted:
		default:
			c.addf("unknown key kind %q under the prefix", kind)
		}
	}
	c.checkBlueprints()
	nodesOf := c.checkDeployments()
	pending := map[string]bool{}
	wantHeld := map[store.IndexPair]bool{}
	for _, v := range c.by[kindExec] {
		var e store.Execution
		if json.Unmarshal(v, &e) == nil {
			store.PendingAdditions(&e, pending)
			if held := e.HeldBlueprint(); held != "" {
				wantHeld[store.IndexPair{held, e.ID}] = true
			}
		}
	}
	c.problems = append(c.problems, store.IndexProblems("blueprint executions index", wantHeld, c.pairs(kindBPExec))...)
	c.checkInstances(nodesOf, pending)
	c.checkExecutions()
	c.checkDependencies()
	c.checkTokensAndAudit()
	c.checkSessions()
	for k, v := range c.by[kindDeleted] {
		var e store.Execution
		if err := json.Unmarshal(v, &e); err != nil || e.ID != k || e.DeletedAt.IsZero() {
			c.addf("deleted execution %q: undecodable, mismatched id or no deletion time", k)
		}
	}
	for k, v := range c.by[kindSecret] {
		var s store.Secret
		if err := json.Unmarshal(v, &s); err != nil || s.Key != k {
			c.addf("secret %q: undecodable or mismatched key", k) // never the value
		}
	}
}

func (c *checker) checkBlueprints() {
	bps := c.by[kindBlueprint]
	sizes := map[string]int64{} // bp \0 sha -> bytes in chunks
	wantImporters := map[store.IndexPair]bool{}
	for rest, v := range c.by[kindArchive] {
		if p := c.parts(kindArchive, rest, 3); p != nil {
			sizes[j(p[0], p[1])] += int64(len(v))
		}
	}
	for id, v := range bps {
		var bp store.Blueprint
		if err := json.Unmarshal(v, &bp); err != nil {
			c.addf("blueprint %q: undecodable: %v", id, err)
			continue
		}
		if bp.ID != id {
			c.addf("blueprint %q: record says id %q", id, bp.ID)
		}
		for _, imported := range bp.Imports {
			wantImporters[store.IndexPair{imported, bp.ID}] = true
		}
		if got := sizes[j(id, bp.ArchiveSHA256)]; got != bp.ArchiveSize {
			c.addf("blueprint %q: archive has %d of %d bytes", id, got, bp.ArchiveSize)
		}
		delete(sizes, j(id, bp.ArchiveSHA256))
	}
	for k := range sizes {
		c.addf("blueprint archive chunks %q: no such blueprint (an upload that died before its record)", k)
	}
	if _, whole := c.by[kindBPImportWhole]; whole { // else made, whole, by the next blueprint write
		c.problems = append(c.problems, store.IndexProblems("blueprint importers index", wantImporters, c.pairs(kindBPImport))...)
	}
}

func (c *checker) checkDeployments() map[string]map[string]bool {
	deps, plans := c.by[kindDeploy], c.by[kindPlan]
	nodesOf := map[string]map[string]bool{}
	for id, v := range deps {
		var d store.Deployment
		if err := json.Unmarshal(v, &d); err != nil {
			c.addf("deployment %q: undecodable: %v", id, err)
			continue
		}
		if d.ID != id {
			c.addf("deployment %q: record says id %q", id, d.ID)
		}
		if _, ok := c.by[kindBlueprint][d.BlueprintID]; !ok {
			c.addf("deployment %q: blueprint %q does not exist", id, d.BlueprintID)
		}
		if _, ok := c.by[kindBPDeps][j(d.BlueprintID, id)]; !ok {
			c.addf("deployment %q: missing from blueprint %q's index", id, d.BlueprintID)
		}
		var plan tosca.Plan
		if raw, ok := plans[id]; !ok {
			c.addf("deployment %q: plan missing", id)
		} else if err := c.plan(id, raw, v, &plan); err != nil {
			c.addf("deployment %q: plan: %v", id, err)
		} else {
			nodesOf[id] = store.PlanNodeIDs(&plan)
		}
	}
	for rest := range c.by[kindPlanChunk] {
		if p := c.parts(kindPlanChunk, rest, 3); p != nil {
			// Of the plan, or of the one before it (a write that died
			// before its record: the next write deletes the one not read).
			var m manifest
			if err := json.Unmarshal(plans[p[0]], &m); err != nil || m.SHA256 != p[1] && (m.Prev == nil || m.Prev.SHA256 != p[1]) {
				c.addf("plan chunk %q of deployment %q: not of its current plan", p[2], p[0])
			}
		}
	}
	for id := range plans {
		if _, ok := deps[id]; !ok {
			c.addf("plan %q: no such deployment", id)
		}
	}
	for rest := range c.by[kindBPDeps] {
		if p := c.parts(kindBPDeps, rest, 2); p != nil {
			var d store.Deployment
			if err := json.Unmarshal(deps[p[1]], &d); err != nil || d.BlueprintID != p[0] {
				c.addf("blueprint index: deployment %q of blueprint %q does not exist", p[1], p[0])
			}
		}
	}
	return nodesOf
}

func (c *checker) checkInstances(nodesOf map[string]map[string]bool, pending map[string]bool) {
	deps, idx := c.by[kindDeploy], c.by[kindInstNode]
	for rest, v := range c.by[kindInstance] {
		p := c.parts(kindInstance, rest, 2)
		if p == nil {
			continue
		}
		depID, id := p[0], p[1]
		if _, ok := deps[depID]; !ok {
			c.addf("node instance %q of deployment %q: no such deployment", id, depID)
			continue
		}
		var ni store.NodeInstance
		if err := json.Unmarshal(v, &ni); err != nil {
			c.addf("node instance %q of deployment %q: undecodable: %v", id, depID, err)
			continue
		}
		switch {
		case ni.ID != id:
			c.addf("node instance %q of deployment %q: record says id %q", id, depID, ni.ID)
		case ni.DeploymentID != depID:
			c.addf("node instance %q of deployment %q: record says deployment %q", id, depID, ni.DeploymentID)
		case !ni.State.Valid():
			c.addf("node instance %q of deployment %q: unknown state %q", id, depID, ni.State)
		case ni.Version < 1:
			c.addf("node instance %q of deployment %q: version %d", id, depID, ni.Version)
		}
		if nodes := nodesOf[depID]; nodes != nil && !nodes[ni.NodeID] && !pending[depID+"/"+ni.ID] {
			c.addf("node instance %q of deployment %q: node %q is not in the plan", id, depID, ni.NodeID)
		}
		if _, ok := idx[j(depID, ni.NodeID, id)]; !ok {
			c.addf("node instance %q of deployment %q: missing from the node index", id, depID)
		}
	}
	for rest := range idx {
		if p := c.parts(kindInstNode, rest, 3); p != nil {
			var ni store.NodeInstance
			if err := json.Unmarshal(c.by[kindInstance][j(p[0], p[2])], &ni); err != nil || ni.NodeID != p[1] {
				c.addf("node index of deployment %q: instance %q of node %q does not exist", p[0], p[2], p[1])
			}
		}
	}
}

func (c *checker) checkExecutions() {
	execs, idx := c.by[kindExec], c.by[kindDepExec]
	depOf := map[string]string{}
	for id, v := range execs {
		var e store.Execution
		if err := json.Unmarshal(v, &e); err != nil {
			c.addf("execution %q: undecodable: %v", id, err)
			continue
		}
		depOf[id] = e.DeploymentID
		if e.ID != id {
			c.addf("execution %q: record says id %q", id, e.ID)
		}
		if !e.Status.Valid() {
			c.addf("execution %q: unknown status %q", id, e.Status)
		}
		if _, ok := c.by[kindDeploy][e.DeploymentID]; !ok {
			c.addf("execution %q: deployment %q does not exist", id, e.DeploymentID)
		}
		if _, ok := idx[j(e.DeploymentID, id)]; !ok {
			c.addf("execution %q: missing from deployment %q's index", id, e.DeploymentID)
		}
	}
	for rest := range idx {
		if p := c.parts(kindDepExec, rest, 2); p != nil && depOf[p[1]] != p[0] {
			c.addf("executions index: execution %q of deployment %q does not exist", p[1], p[0])
		}
	}
	for rest, v := range c.by[kindTask] {
		p := c.parts(kindTask, rest, 3)
		if p == nil {
			continue
		}
		if depOf[p[1]] != p[0] {
			c.addf("task %q of execution %q: no such execution in deployment %q", p[2], p[1], p[0])
			continue
		}
		var t store.Task
		if err := json.Unmarshal(v, &t); err != nil || t.ID != p[2] || t.ExecutionID != p[1] || !t.Status.Valid() {
			c.addf("task %q of execution %q: undecodable or inconsistent", p[2], p[1])
		}
	}
	counters := map[string]uint64{}
	for rest, v := range c.by[kindEventSeq] {
		n, err := strconv.ParseUint(string(v), 10, 64)
		if err != nil {
			c.addf("event counter %q: %q is not a number", rest, v)
		}
		counters[rest] = n
	}
	for rest, v := range c.by[kindEvent] {
		p := c.parts(kindEvent, rest, 3)
		if p == nil {
			continue
		}
		if depOf[p[1]] != p[0] {
			c.addf("events of execution %q: no such execution in deployment %q", p[1], p[0])
			continue
		}
		seq, err := strconv.ParseUint(p[2], 16, 64)
		var ev store.Event
		switch {
		case err != nil || len(p[2]) != 16:
			c.addf("event key %q of execution %q: not a sequence number", p[2], p[1])
		case json.Unmarshal(v, &ev) != nil:
			c.addf("event %d of execution %q: undecodable", seq, p[1])
		case ev.Seq != seq || ev.ExecutionID != p[1]:
			c.addf("event %d of execution %q: record says seq %d, execution %q", seq, p[1], ev.Seq, ev.ExecutionID)
		case seq > counters[j(p[0], p[1])]:
			c.addf("event %d of execution %q: beyond its counter %d", seq, p[1], counters[j(p[0], p[1])])
		}
	}
	for rest := range counters {
		if p := c.parts(kindEventSeq, rest, 2); p != nil && depOf[p[1]] != p[0] {
			c.addf("event counter of execution %q: no such execution in deployment %q", p[1], p[0])
		}
	}
}

func (c *checker) checkDependencies() {
	deps, dependents := c.by[kindDepend], c.by[kindDependent]
	for rest, v := range deps {
		var d store.Dependency
		if err := json.Unmarshal(v, &d); err != nil {
			c.addf("dependency %q: undecodable: %v", rest, err)
			continue
		}
		if rest != j(d.SourceDeploymentID, d.Creator) {
			c.addf("dependency %q: key does not match the record", rest)
		}
		for _, id := range []string{d.SourceDeploymentID, d.TargetDeploymentID} {
			if _, ok := c.by[kindDeploy][id]; !ok {
				c.addf("dependency %s -> %s (%s): deployment %q does not exist", d.SourceDeploymentID, d.TargetDeploymentID, d.Creator, id)
			}
		}
		if _, ok := dependents[j(d.TargetDeploymentID, d.SourceDeploymentID, d.Creator)]; !ok {
			c.addf("dependency %s -> %s (%s): missing from the dependents index", d.SourceDeploymentID, d.TargetDeploymentID, d.Creator)
		}
	}
	for rest := range dependents {
		if p := c.parts(kindDependent, rest, 3); p != nil {
			var d store.Dependency
			if err := json.Unmarshal(deps[j(p[1], p[2])], &d); err != nil || d.TargetDeploymentID != p[0] {
				c.addf("dependents index: dependency %s -> %s (%s) does not exist", p[1], p[0], p[2])
			}
		}
	}
}

func (c *checker) checkTokensAndAudit() {
	for id, v := range c.by[kindToken] {
		var t store.Token
		if err := json.Unmarshal(v, &t); err != nil || t.ID != id {
			c.addf("token %q: undecodable or mismatched id", id) // never the hash
		} else if err := store.CheckToken(&t); err != nil {
			c.addf("token %q: %v", id, err)
		}
	}
	var last uint64
	if raw, ok := c.by[kindAuditSeq][""]; ok {
		n, err := strconv.ParseUint(string(raw), 10, 64)
		if err != nil {
			c.addf("audit counter: %q is not a number", raw)
		}
		last = n
	}
	for rest, v := range c.by[kindAudit] {
		seq, err := strconv.ParseUint(rest, 16, 64)
		var r store.AuditRecord
		switch {
		case err != nil || len(rest) != 16:
			c.addf("audit key %q: not a sequence number", rest)
		case json.Unmarshal(v, &r) != nil:
			c.addf("audit record %d: undecodable", seq)
		case r.Seq != seq:
			c.addf("audit record %d: record says seq %d", seq, r.Seq)
		case seq > last:
			c.addf("audit record %d: beyond the log's counter %d", seq, last)
		}
	}
}

// plan reassembles a deployment's plan from its manifest and chunks.
func (c *checker) plan(id string, raw, record []byte, out *tosca.Plan) error {
	var got manifest
	if err := json.Unmarshal(raw, &got); err != nil {
		return fmt.Errorf("manifest undecodable: %v", err)
	}
	m := effectivePlan(&got, record, true)
	var keys []string
	p := j(id, m.SHA256) + sep
	for rest := range c.by[kindPlanChunk] {
		if strings.HasPrefix(rest, p) {
			keys = append(keys, rest)
		}
	}
	sort.Strings(keys)
	var data []byte
	for _, k := range keys {
		data = append(data, c.by[kindPlanChunk][k]...)
	}
	return decodeBlob("plan", id, m, data, len(keys), out)
}
