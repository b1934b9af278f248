package tosca

import (
	"fmt"
	"strconv"
	"strings"
)

// template is a node template after merging with its type.
type template struct {
	name   string
	idx    int
	pos    Pos
	node   *ynode
	typ    *nodeType
	props  *ynode // merged properties (mapping)
	ops    *opSet
	rels   []*relDef
	hostID string
	// scalable properties (nil: default)
	minI, maxI, defI *ynode
	capsPos          Pos
	plugins          map[string]bool
}

// relDef is a template relationship after merging with its type.
type relDef struct {
	typ    *relType
	target string
	tgt    *template
	props  *ynode
	srcOps *opSet
	tgtOps *opSet
	pos    Pos
	tpos   Pos // position of the target value
}

var templateKeys = keys{"type": v1_0, "properties": v1_0, "interfaces": v1_0, "relationships": v1_0, "instances": v1_0, "capabilities": v1_3, "description": v1_0}
var relKeys = keys{"type": v1_0, "target": v1_0, "properties": v1_0, "source_interfaces": v1_0, "target_interfaces": v1_0}

func (p *parser) parseTemplates(sec *ynode) {
	bp := p.bp
	p.entries(sec, "node_templates", func(name string, k, v *ynode) {
		t := &template{name: name, idx: len(bp.templates), pos: k.pos, node: v}
		bp.templates = append(bp.templates, t)
		bp.tmplIdx[name] = t
	})
	for _, t := range bp.templates {
		p.parseTemplate(t)
	}
	p.checkRelationshipCycles()
	for _, t := range bp.templates {
		p.hostOf(t, 0)
	}
	p.checkPlacement()
}

func (p *parser) parseTemplate(t *template) {
	what := fmt.Sprintf("node template '%s'", t.name)
	t.props = &ynode{kind: kMap, pos: t.pos}
	t.ops = &opSet{}
	v := t.node
	if !p.isMap(v, what, false) {
		return
	}
	p.strict(v, what, templateKeys)
	tn := p.required(v, "type", what)
	typeName, _ := p.str(tn, what+" type")
	if tn != nil && typeName != "" {
		t.typ = p.bp.nodeTypes[typeName]
		if t.typ == nil {
			p.add(tn.pos, CodeTypeNotFound, fmt.Sprintf("%s has unknown type '%s'", what, typeName), typeHint(typeName, sortedKeys(p.bp.nodeTypes)))
		}
	}
	if t.typ == nil {
		t.typ = &nodeType{derived: derived{name: typeName}, props: &schema{}, ifaces: ifaces{}, hierarchy: []string{typeName}}
	}
	t.props, _ = p.mergeProps(t.typ.props, v.get("properties"), v.pos, what, nil)
	tmplIfaces := p.parseInterfaces(v.get("interfaces"), what, false)
	t.ops = p.mergeIfaces(t.typ.ifaces, tmplIfaces, v.pos, what, "node", &t.typ.opCache)

	if rels := v.get("relationships"); rels != nil && rels.kind != kNull {
		if rels.kind != kSeq {
			p.add(rels.pos, CodeWrongType, fmt.Sprintf("relationships of %s must be a list, found %s", what, rels.kind), "write `relationships:` followed by `- type: ...` entries")
		} else {
			for i, rn := range rels.items {
				if r := p.parseRelationship(t, rn, "relationship "+strconv.Itoa(i+1)+" of "+what); r != nil {
					t.rels = append(t.rels, r)
				}
			}
		}
	}
	var contained []*relDef
	for _, r := range t.rels {
		if r.typ != nil && r.typ.isA(RelContainedIn) {
			contained = append(contained, r)
		}
	}
	if len(contained) > 1 {
		p.add(contained[1].pos, CodeRelContainedTwice, fmt.Sprintf("%s is contained in both '%s' and '%s'", what, contained[0].target, contained[1].target),
			"a node can be contained in one node only; use connected_to for the others")
	}
	p.parseScalable(t, what)
}

func (p *parser) parseRelationship(src *template, n *ynode, what string) *relDef {
	if !p.isMap(n, what, false) {
		return nil
	}
	p.strict(n, what, relKeys)
	r := &relDef{pos: n.pos}
	tn := p.required(n, "type", what)
	typeName, isStr := tn.str()
	if tn != nil && !isStr {
		p.str(tn, what+" type")
	}
	if tn != nil && typeName != "" {
		r.typ = p.bp.relTypes[typeName]
		if r.typ == nil {
			p.add(tn.pos, CodeTypeNotFound, fmt.Sprintf("%s has unknown type '%s'", what, typeName), typeHint(typeName, sortedKeys(p.bp.relTypes)))
		} else if !r.typ.isA(RelDependsOn) && !r.typ.isA(RelConnectedTo) && !r.typ.isA(RelContainedIn) {
			p.add(tn.pos, CodeRelUnsupported, fmt.Sprintf("%s: type '%s' does not derive from %s, %s or %s", what, typeName, RelDependsOn, RelConnectedTo, RelContainedIn),
				"derive the relationship type from one of Cloudify's base relationships")
		}
	}
	if tg := p.required(n, "target", what); tg != nil {
		var isStr bool
		if r.target, isStr = tg.str(); !isStr {
			p.str(tg, what+" target")
		}
		r.tpos = tg.pos
		if r.target != "" {
			r.tgt = p.bp.tmplIdx[r.target]
			switch {
			case r.target == src.name:
				p.add(tg.pos, CodeRelSelf, fmt.Sprintf("%s targets its own node template '%s'", what, r.target), "a node cannot have a relationship to itself")
				r.tgt = nil
			case r.tgt == nil:
				names := make([]string, 0, len(p.bp.templates))
				if len(p.bp.templates) < 2000 {
					for _, t := range p.bp.templates {
						names = append(names, t.name)
					}
				}
				p.add(tg.pos, CodeRelTargetMissing, fmt.Sprintf("%s targets '%s', which is not a node template", what, r.target), suggest(r.target, names))
			}
		}
	}
	if r.typ == nil {
		r.typ = &relType{derived: derived{name: typeName}, props: &schema{}, srcIfaces: ifaces{}, tgtIfaces: ifaces{}, hierarchy: []string{typeName}}
	}
	r.props, _ = p.mergeProps(r.typ.props, n.get("properties"), n.pos, what, nil)
	if ct := r.props.get("connection_type"); ct != nil && !isFunction(ct) {
		if s, _ := ct.str(); s != "all_to_all" && s != "all_to_one" {
			p.add(ct.pos, CodeInvalidValue, fmt.Sprintf("%s connection_type must be all_to_all or all_to_one", what), suggest(s, []string{"all_to_all", "all_to_one"}))
		}
	}
	var srcIf, tgtIf ifaces
	if si := n.get("source_interfaces"); si != nil {
		srcIf = p.parseInterfaces(si, what+" source", false)
	}
	if ti := n.get("target_interfaces"); ti != nil {
		tgtIf = p.parseInterfaces(ti, what+" target", false)
	}
	r.srcOps = p.mergeIfaces(r.typ.srcIfaces, srcIf, n.pos, what, "relationship", &r.typ.srcCache)
	r.tgtOps = p.mergeIfaces(r.typ.tgtIfaces, tgtIf, n.pos, what, "relationship", &r.typ.tgtCache)
	return r
}

var scalablePropKeys = keys{"min_instances": v1_3, "max_instances": v1_3, "default_instances": v1_3, "current_instances": v1_3, "planned_instances": v1_3}

func (p *parser) parseScalable(t *template, what string) {
	inst, caps := t.node.get("instances"), t.node.get("capabilities")
	if inst != nil && caps != nil {
		p.add(caps.pos, CodeInstances, fmt.Sprintf("%s has both 'instances' and 'capabilities'", what), "use only capabilities.scalable.properties (instances is deprecated)")
		return
	}
	if inst != nil && p.isMap(inst, what+" instances", true) {
		p.strict(inst, what+" instances", keys{"deploy": v1_0})
		t.defI = inst.get("deploy")
		t.capsPos = inst.pos
	}
	if caps != nil && p.isMap(caps, what+" capabilities", true) {
		p.strict(caps, what+" capabilities", keys{"scalable": v1_3})
		if sc := caps.get("scalable"); sc != nil && p.isMap(sc, what+" scalable capability", true) {
			p.strict(sc, what+" scalable capability", keys{"properties": v1_3})
			if pr := sc.get("properties"); pr != nil && p.isMap(pr, what+" scalable properties", true) {
				p.strict(pr, what+" scalable properties", scalablePropKeys)
				t.minI, t.maxI, t.defI = pr.get("min_instances"), pr.get("max_instances"), pr.get("default_instances")
				t.capsPos = pr.pos
			}
		}
	}
	if !isFunction(t.minI) && !isFunction(t.maxI) && !isFunction(t.defI) {
		if _, err := scalableOf(t.minI, t.maxI, t.defI); err != nil {
			p.add(t.capsPos, CodeInstances, fmt.Sprintf("%s: %v", what, err), "")
		}
	}
}

// scalableOf computes scalable properties from literal values.
func scalableOf(minN, maxN, defN *ynode) (Scalable, error) {
	s := Scalable{MinInstances: 0, MaxInstances: -1, DefaultInstances: 1}
	get := func(n *ynode, name string, dst *int, unbounded bool) error {
		if n == nil || n.kind == kNull {
			return nil
		}
		switch n.kind {
		case kInt:
			*dst = n.val.(int)
		case kString:
			if unbounded && n.val.(string) == "UNBOUNDED" {
				*dst = -1
				return nil
			}
			return fmt.Errorf("%s must be an integer, found %q", name, n.val)
		default:
			return fmt.Errorf("%s must be an integer, found %s", name, n.kind)
		}
		return nil
	}
	if err := get(minN, "min_instances", &s.MinInstances, false); err != nil {
		return s, err
	}
	if err := get(maxN, "max_instances", &s.MaxInstances, true); err != nil {
		return s, err
	}
	if err := get(defN, "default_instances", &s.DefaultInstances, false); err != nil {
		return s, err
	}
	return s, checkScalable(s)
}

func checkScalable(s Scalable) error {
	switch {
	case s.MinInstances < 0:
		return fmt.Errorf("min_instances must be >= 0, not %d", s.MinInstances)
	case s.MaxInstances < -1:
		return fmt.Errorf("max_instances must be >= 0 or UNBOUNDED, not %d", s.MaxInstances)
	case s.DefaultInstances < 0:
		return fmt.Errorf("default_instances must be >= 0, not %d", s.DefaultInstances)
	case s.DefaultInstances < s.MinInstances:
		return fmt.Errorf("default_instances (%d) is less than min_instances (%d)", s.DefaultInstances, s.MinInstances)
	case s.MaxInstances != -1 && s.DefaultInstances > s.MaxInstances:
		return fmt.Errorf("default_instances (%d) is more than max_instances (%d)", s.DefaultInstances, s.MaxInstances)
	case s.MaxInstances != -1 && s.MinInstances > s.MaxInstances:
		return fmt.Errorf("min_instances (%d) is more than max_instances (%d)", s.MinInstances, s.MaxInstances)
	}
	s.CurrentInstances, s.PlannedInstances = s.DefaultInstances, s.DefaultInstances
	return nil
}

// checkRelationshipCycles finds cycles in the template relationship graph
// (iterative DFS, linear time).
func (p *parser) checkRelationshipCycles() {
	ts := p.bp.templates
	state := make([]uint8, len(ts)) // 0 new, 1 on stack, 2 done
	type frame struct {
		t *template
		i int
	}
	for _, start := range ts {
		if state[start.idx] != 0 {
			continue
		}
		stack := []frame{{start, 0}}
		state[start.idx] = 1
		for len(stack) > 0 {
			f := &stack[len(stack)-1]
			if f.i >= len(f.t.rels) {
				state[f.t.idx] = 2
				stack = stack[:len(stack)-1]
				continue
			}
			r := f.t.rels[f.i]
			f.i++
			if r.tgt == nil {
				continue
			}
			switch state[r.tgt.idx] {
			case 0:
				state[r.tgt.idx] = 1
				stack = append(stack, frame{r.tgt, 0})
			case 1:
				var path []string
				for j := len(stack) - 1; j >= 0; j-- {
					path = append(path, stack[j].t.name)
					if stack[j].t == r.tgt {
						break
					}
				}
				for a, b := 0, len(path)-1; a < b; a, b = a+1, b-1 {
					path[a], path[b] = path[b], path[a]
				}
				path = append(path, r.tgt.name)
				p.add(r.tpos, CodeRelCycle, fmt.Sprintf("relationships form a cycle: %s", strings.Join(path, " -> ")),
					"remove one relationship of the cycle")
				r.tgt = nil // report each cycle once
			}
		}
	}
}

// hostOf computes host_id: the node itself for host types, else the host of
// its contained_in target.
func (p *parser) hostOf(t *template, depth int) string {
	if t.hostID != "" || depth > len(p.bp.templates) {
		return t.hostID
	}
	if t.typ != nil && t.typ.isA(TypeCompute) {
		t.hostID = t.name
		return t.hostID
	}
	for _, r := range t.rels {
		if r.tgt != nil && r.typ != nil && r.typ.isA(RelContainedIn) {
			t.hostID = p.hostOf(r.tgt, depth+1)
			return t.hostID
		}
	}
	return ""
}

// checkPlacement enforces the host placement rule (spec 3.4) and collects
// the plugins each node uses.
func (p *parser) checkPlacement() {
	for _, t := range p.bp.templates {
		if t.plugins == nil {
			t.plugins = map[string]bool{}
		}
		p.useOps(t, t.ops, func() string { return fmt.Sprintf("node template '%s'", t.name) })
		for _, r := range t.rels {
			p.useOps(t, r.srcOps, func() string {
				return fmt.Sprintf("source operation of relationship '%s' of node template '%s'", r.typ.name, t.name)
			})
			if r.tgt != nil {
				if r.tgt.plugins == nil {
					r.tgt.plugins = map[string]bool{}
				}
				p.useOps(r.tgt, r.tgtOps, func() string {
					return fmt.Sprintf("target operation of relationship '%s' from node template '%s'", r.typ.name, t.name)
				})
			}
		}
	}
}

func (p *parser) useOps(t *template, set *opSet, what func() string) {
	for _, n := range set.active() {
		m := set.ops[n]
		t.plugins[m.op.Plugin] = true
		p.centralScriptWithoutHost(t, m)
		if t.hostID == "" && m.op.Executor == ExecutorHost {
			p.add(m.pos, CodeHostAgentNoHost, fmt.Sprintf("%s: operation '%s' runs on a host (executor host_agent) but node '%s' is not contained in a cloudify.nodes.Compute", what(), n, t.name),
				"add `executor: central_deployment_agent` to the operation, or contain the node in a Compute host")
		}
	}
}
