package tosca

import (
	"fmt"
	"strings"
)

type groupDef struct {
	name       string
	pos        Pos
	members    []string
	memberPos  []Pos
	policies   map[string]any
	isScaling  bool
	cycleState uint8
}

type policyDef struct {
	name    string
	typ     string
	props   *ynode
	targets []string
	pos     Pos
}

type scalingGroupDef struct {
	name             string
	members          []string
	minI, maxI, defI *ynode
	pos              Pos
}

var groupKeys = keys{"members": v1_0, "policies": v1_0}
var groupPolicyKeys = keys{"type": v1_0, "properties": v1_0, "triggers": v1_0}
var triggerKeys = keys{"type": v1_0, "parameters": v1_0}
var policyKeys = keys{"type": v1_3, "properties": v1_3, "targets": v1_3}

func (p *parser) parsePolicyTypes(types, triggers *ynode) {
	p.entries(types, "policy_types", func(name string, k, v *ynode) {
		what := fmt.Sprintf("policy type '%s'", name)
		if !p.isMap(v, what, false) {
			return
		}
		p.strict(v, what, keys{"source": v1_0, "properties": v1_0})
		if s := p.required(v, "source", what); s != nil {
			p.str(s, what+" source")
		}
		p.bp.policyTypes[name] = p.parseSchema(v.get("properties"), what+" property", false)
	})
	p.entries(triggers, "policy_triggers", func(name string, k, v *ynode) {
		what := fmt.Sprintf("policy trigger '%s'", name)
		if !p.isMap(v, what, false) {
			return
		}
		p.strict(v, what, keys{"source": v1_0, "parameters": v1_0})
		if s := p.required(v, "source", what); s != nil {
			p.str(s, what+" source")
		}
		p.bp.policyTriggers[name] = p.parseSchema(v.get("parameters"), what+" parameter", false)
	})
}

func (p *parser) parseGroups(sec *ynode) {
	bp := p.bp
	p.entries(sec, "groups", func(name string, k, v *ynode) {
		what := fmt.Sprintf("group '%s'", name)
		g := &groupDef{name: name, pos: k.pos}
		if _, clash := bp.tmplIdx[name]; clash {
			p.add(k.pos, CodeGroupInvalid, fmt.Sprintf("%s has the same name as a node template", what), "rename the group")
		}
		bp.groups[name] = g
		bp.groupOrder = append(bp.groupOrder, name)
		if !p.isMap(v, what, false) {
			return
		}
		p.strict(v, what, groupKeys)
		if m := p.required(v, "members", what); m != nil {
			if m.kind != kSeq {
				p.add(m.pos, CodeWrongType, fmt.Sprintf("%s members must be a list, found %s", what, m.kind), "")
			} else {
				if len(m.items) == 0 {
					p.add(m.pos, CodeGroupInvalid, fmt.Sprintf("%s has no members", what), "list at least one node template or group")
				}
				seen := map[string]bool{}
				for _, it := range m.items {
					s, ok := p.str(it, what+" member")
					if !ok {
						continue
					}
					if seen[s] {
						p.add(it.pos, CodeGroupInvalid, fmt.Sprintf("%s lists member '%s' twice", what, s), "")
						continue
					}
					seen[s] = true
					g.members = append(g.members, s)
					g.memberPos = append(g.memberPos, it.pos)
				}
			}
		}
		if pols := v.get("policies"); pols != nil && pols.kind != kNull {
			p.entries(pols, what+" policies", func(pname string, pk, pv *ynode) {
				pw := fmt.Sprintf("policy '%s' of %s", pname, what)
				if !p.isMap(pv, pw, false) {
					return
				}
				p.strict(pv, pw, groupPolicyKeys)
				p.checkTyped(pv, pw, "policy type", bp.policyTypes, "properties")
				p.entries(pv.get("triggers"), pw+" triggers", func(tname string, tk, tv *ynode) {
					tw := fmt.Sprintf("trigger '%s' of %s", tname, pw)
					if !p.isMap(tv, tw, false) {
						return
					}
					p.strict(tv, tw, triggerKeys)
					p.checkTyped(tv, tw, "trigger type", bp.policyTriggers, "parameters")
				})
			})
			if pm, ok := pols.plain().(map[string]any); ok {
				g.policies = pm
			}
		}
	})
	for _, name := range bp.groupOrder {
		g := bp.groups[name]
		for i, m := range g.members {
			_, isNode := bp.tmplIdx[m]
			_, isGroup := bp.groups[m]
			if !isNode && !isGroup {
				p.add(g.memberPos[i], CodeGroupInvalid, fmt.Sprintf("member '%s' of group '%s' is neither a node template nor a group", m, name), "")
			}
			if m == name {
				p.add(g.memberPos[i], CodeGroupCycle, fmt.Sprintf("group '%s' contains itself", name), "")
			}
		}
	}
	for _, name := range bp.groupOrder {
		p.groupCycle(bp.groups[name], nil)
	}
}

func (p *parser) groupCycle(g *groupDef, path []string) {
	if g.cycleState == 2 {
		return
	}
	if g.cycleState == 1 {
		p.add(g.pos, CodeGroupCycle, fmt.Sprintf("groups contain each other: %s", strings.Join(append(path, g.name), " -> ")), "remove one membership")
		return
	}
	g.cycleState = 1
	for _, m := range g.members {
		if sub := p.bp.groups[m]; sub != nil && sub != g {
			p.groupCycle(sub, append(path, g.name))
		}
	}
	g.cycleState = 2
}

func (p *parser) parsePolicies(sec *ynode) {
	bp := p.bp
	p.entries(sec, "policies", func(name string, k, v *ynode) {
		what := fmt.Sprintf("policy '%s'", name)
		if !p.isMap(v, what, false) {
			return
		}
		p.strict(v, what, policyKeys)
		pd := &policyDef{name: name, pos: k.pos}
		if tn := p.required(v, "type", what); tn != nil {
			pd.typ, _ = p.str(tn, what+" type")
			if pd.typ != "cloudify.policies.scaling" {
				p.add(tn.pos, CodePolicyInvalid, fmt.Sprintf("%s has type '%s'; the only policy type is cloudify.policies.scaling", what, pd.typ), "")
				return
			}
		}
		props := v.get("properties")
		if props != nil && p.isMap(props, what+" properties", true) {
			p.strict(props, what+" properties", keys{"min_instances": v1_3, "max_instances": v1_3, "default_instances": v1_3})
		}
		if props == nil || props.kind != kMap {
			props = &ynode{kind: kMap, pos: v.pos}
		}
		pd.props = props
		if !isFunction(props.get("min_instances")) && !isFunction(props.get("max_instances")) && !isFunction(props.get("default_instances")) {
			if _, err := scalableOf(props.get("min_instances"), props.get("max_instances"), props.get("default_instances")); err != nil {
				p.add(props.pos, CodeInstances, fmt.Sprintf("%s: %v", what, err), "")
			}
		}
		if tg := p.required(v, "targets", what); tg != nil {
			pd.targets = p.strList(tg, what+" targets")
			if tg.kind == kSeq && len(tg.items) == 0 {
				p.add(tg.pos, CodePolicyInvalid, fmt.Sprintf("%s has no targets", what), "name at least one group")
			}
			for i, t := range pd.targets {
				g := bp.groups[t]
				if g == nil {
					p.add(tg.items[i].pos, CodePolicyInvalid, fmt.Sprintf("%s targets '%s', which is not a group", what, t), suggest(t, bp.groupOrder))
					continue
				}
				if bp.scalingGroups[t] != nil {
					p.add(tg.items[i].pos, CodeScalingGroup, fmt.Sprintf("group '%s' is the target of more than one scaling policy", t), "")
					continue
				}
				g.isScaling = true
				bp.scalingGroups[t] = &scalingGroupDef{name: t, members: g.members, minI: props.get("min_instances"), maxI: props.get("max_instances"), defI: props.get("default_instances"), pos: tg.items[i].pos}
			}
		}
		bp.policies = append(bp.policies, pd)
	})
	// A node or group may be a direct member of one scaling group only.
	owner := map[string]string{}
	for _, gname := range bp.groupOrder {
		sg := bp.scalingGroups[gname]
		if sg == nil {
			continue
		}
		for _, m := range sg.members {
			if prev, ok := owner[m]; ok {
				p.add(sg.pos, CodeScalingGroup, fmt.Sprintf("'%s' is a member of two scaling groups: '%s' and '%s'", m, prev, gname), "a node or group belongs to one scaling group only; nest groups instead")
				continue
			}
			owner[m] = gname
		}
	}
	// all_to_one relationships are not allowed inside one scaling group.
	for _, t := range bp.templates {
		sg, ok := owner[t.name]
		if !ok {
			continue
		}
		for _, r := range t.rels {
			if r.tgt == nil || owner[r.target] != sg {
				continue
			}
			if ct, _ := r.props.get("connection_type").str(); ct == "all_to_one" {
				p.add(r.pos, CodeScalingGroup, fmt.Sprintf("relationship from '%s' to '%s' is all_to_one inside scaling group '%s'", t.name, r.target, sg), "use all_to_all inside a scaling group")
			}
		}
	}
}

// checkTyped checks an entry with a required `type` naming one of types
// (policy types, policy triggers) and the values under valuesKey against
// that type's schema.
func (p *parser) checkTyped(v *ynode, what, kind string, types map[string]*schema, valuesKey string) {
	tn := p.required(v, "type", what)
	if tn == nil {
		return
	}
	typ, _ := p.str(tn, what+" type")
	s, ok := types[typ]
	if !ok {
		p.add(tn.pos, CodeTypeNotFound, fmt.Sprintf("%s has unknown %s '%s'", what, kind, typ), suggest(typ, sortedKeys(types)))
		return
	}
	p.mergeProps(s, v.get(valuesKey), v.pos, what, nil)
}
