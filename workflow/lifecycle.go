package workflow

import (
	"strings"

	"github.com/gantryhq/gantry/tosca"
)

// lifecycle builds install or uninstall of a set of instances, with
// optional intact ("related") instances that only run establish / unlink
// for their relationships to instances of the set (scale and heal).
type lifecycle struct {
	b       *builder
	prefix  string
	insts   []*tosca.NodeInstance
	related []*tosca.NodeInstance
	ignore  bool // uninstall: ignore operation failures
	// done maps an instance's id and a lifecycle operation to the install
	// task that follows that operation (depends_on_lifecycle_operation).
	done map[string]map[string][]int32
	// lostToo: related instances also unlink relationships an update
	// removes (its first phase); otherwise only those kept.
	lostToo bool
}

// markDone records that the last step of s follows operation op of ni.
func (l *lifecycle) markDone(s *seq, ni *tosca.NodeInstance, op string) {
	if l.done == nil {
		l.done = map[string]map[string][]int32{}
	}
	m := l.done[ni.ID]
	if m == nil {
		m = map[string][]int32{}
		l.done[ni.ID] = m
	}
	m[op] = s.frontier
	m[strings.TrimPrefix(op, lifecyclePrefix)] = s.frontier
}

// lifecyclePrefix starts the name of a lifecycle operation.
const lifecyclePrefix = "cloudify.interfaces.lifecycle."

// operationDone is what the install of an instance holding a
// depends_on_lifecycle_operation relationship rel waits for: the target's
// task after the operation the relationship names (nil: its whole install).
func (l *lifecycle) operationDone(rel *tosca.Relationship, target string) []int32 {
	if rel == nil || !rel.IsA(tosca.RelDependsOnLifecycleOp) {
		return nil
	}
	op, _ := rel.Properties["operation"].(string)
	return l.done[target][op]
}

func (b *builder) isCompute(ni *tosca.NodeInstance) bool {
	return b.topo.nodes[ni.NodeID].IsA(tosca.TypeCompute)
}

// installSubgraph is spec 7.2's install_subgraph for one instance, with
// Cloudify 5+'s precreate (before create) and poststart (after establish).
func (l *lifecycle) installSubgraph(ni *tosca.NodeInstance) subgraph {
	s, p := l.b.seq(), l.prefix
	s.step(l.b.stateTask(p, ni, StateInitializing))
	s.step(l.b.stateTask(p, ni, StateCreating))
	s.opStep(p, ni, opPrecreate, false)
	s.opStep(p, ni, opCreate, false)
	s.step(l.b.stateTask(p, ni, StateCreated))
	l.markDone(s, ni, opCreate)
	s.relSteps(p, ni, relPreconfigure, false, false, nil)
	s.step(l.b.stateTask(p, ni, StateConfiguring))
	s.opStep(p, ni, opConfigure, false)
	s.step(l.b.stateTask(p, ni, StateConfigured))
	l.markDone(s, ni, opConfigure)
	s.relSteps(p, ni, relPostconfigure, false, false, nil)
	s.step(l.b.stateTask(p, ni, StateStarting))
	s.opStep(p, ni, opStart, false)
	if l.b.isCompute(ni) {
		if t := s.opStep(p, ni, opHostGetState, false); t != nil {
			t.PollUntilTrue = true
		}
		s.opStep(p, ni, opMonAgentInstall, false)
		s.opStep(p, ni, opMonAgentStart, false)
	}
	s.opStep(p, ni, opMonitoringStart, false)
	s.relSteps(p, ni, relEstablish, false, false, nil)
	s.opStep(p, ni, opPoststart, false)
	s.step(l.b.stateTask(p, ni, StateStarted))
	l.markDone(s, ni, opStart)
	return s.done()
}

// uninstallSubgraph is spec 7.3's uninstall_subgraph for one instance,
// with Cloudify 5+'s prestop (before stop) and postdelete (after delete).
func (l *lifecycle) uninstallSubgraph(ni *tosca.NodeInstance) subgraph {
	s, p, ig := l.b.seq(), l.prefix, l.ignore
	s.step(l.b.stateTask(p, ni, StateStopping))
	s.opStep(p, ni, opPrestop, ig)
	s.opStep(p, ni, opMonitoringStop, ig)
	if l.b.isCompute(ni) {
		s.opStep(p, ni, opMonAgentStop, ig)
		s.opStep(p, ni, opMonAgentUninst, ig)
	}
	s.opStep(p, ni, opStop, ig)
	s.step(l.b.stateTask(p, ni, StateStopped))
	s.relSteps(p, ni, relUnlink, true, ig, nil)
	s.step(l.b.stateTask(p, ni, StateDeleting))
	s.opStep(p, ni, opDelete, ig)
	s.opStep(p, ni, opPostdelete, ig)
	s.step(l.b.stateTask(p, ni, StateDeleted))
	return s.done()
}

// build adds the lifecycle to the graph and returns it as one subgraph.
func (l *lifecycle) build(install bool) subgraph {
	inSet := make(map[string]bool, len(l.insts))
	for _, ni := range l.insts {
		inSet[ni.ID] = true
	}
	sgs := make(map[string]subgraph, len(l.insts)+len(l.related))
	var all subgraph
	for _, ni := range l.insts {
		var sg subgraph
		if install {
			sg = l.installSubgraph(ni)
		} else {
			sg = l.uninstallSubgraph(ni)
		}
		sgs[ni.ID] = sg
	}
	intactOp := relEstablish
	if !install {
		intactOp = relUnlink
	}
	for _, ni := range l.related {
		if inSet[ni.ID] {
			continue
		}
		s := l.b.seq()
		s.relSteps(l.prefix, ni, intactOp, !install, l.ignore && !install, func(r *tosca.InstanceRelationship) bool {
			return inSet[r.TargetID] && (l.lostToo || l.b.current(ni, r))
		})
		if s.frontier == nil {
			// An empty stub still passes ordering on (A -> intact B -> C).
			s.step(&Task{ID: taskID(l.prefix, ni.ID, "stub"), Kind: KindNop, InstanceID: ni.ID, NodeID: ni.NodeID})
		}
		sgs[ni.ID] = s.done()
	}
	link := func(ni *tosca.NodeInstance) {
		src, ok := sgs[ni.ID]
		if !ok || src.empty() {
			return
		}
		rels := ni.Relationships
		for k := range rels {
			r := rels[k]
			if !install {
				r = rels[len(rels)-1-k]
			}
			tgt, ok := sgs[r.TargetID]
			if !ok || tgt.empty() || r.TargetID == ni.ID {
				continue
			}
			if install {
				if at := l.operationDone(l.b.topo.relTmpl[ni][k], r.TargetID); at != nil {
					l.b.after(src, subgraph{exit: at})
					continue
				}
				l.b.after(src, tgt)
			} else {
				l.b.after(tgt, src)
			}
		}
	}
	for _, ni := range l.insts {
		link(ni)
	}
	for _, ni := range l.related {
		if !inSet[ni.ID] {
			link(ni)
		}
	}
	// The whole lifecycle's entries and exits, for chaining phases.
	seen := make(map[string]bool, len(sgs))
	for _, ni := range append(append([]*tosca.NodeInstance(nil), l.insts...), l.related...) {
		sg, ok := sgs[ni.ID]
		if !ok || seen[ni.ID] {
			continue
		}
		seen[ni.ID] = true
		for _, e := range sg.entry {
			if len(l.b.g.Tasks[e].deps) == 0 {
				all.entry = append(all.entry, e)
			}
		}
		for _, x := range sg.exit {
			if len(l.b.g.Tasks[x].succ) == 0 {
				all.exit = append(all.exit, x)
			}
		}
	}
	return all
}
