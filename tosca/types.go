package tosca

import (
	"fmt"
)

// propSchema is one entry of a property / input / parameter schema.
type propSchema struct {
	name        string
	desc        string
	typ         string
	itemType    string // item_type of a list (DSL 1_4)
	def         *ynode
	required    bool
	constraints []*constraint
	pos         Pos
	key         *ynode // key node used when the default fills in a value
	// full is def completed with its data type's defaults, when that
	// leaves no required field missing (fullState fullOK).
	full      *ynode
	fullState uint8
}

// States of propSchema.full.
const (
	fullUnknown uint8 = iota
	fullOK            // full holds the completed default
	fullPartial       // the default leaves required fields to templates
	fullBad           // the default itself has problems, reported at the type
)

// keyNode returns a (shared, read-only) key node for the property name.
func (s *propSchema) keyNode() *ynode {
	if s.key == nil {
		s.key = &ynode{kind: kString, val: s.name, pos: s.pos}
	}
	return s.key
}

func (s *propSchema) def2() *PropertyDef {
	d := &PropertyDef{Description: s.desc, Type: s.typ, Required: s.required, HasDefault: s.def != nil}
	if s.def != nil {
		d.Default = s.def.plain()
	}
	for _, c := range s.constraints {
		d.Constraints = append(d.Constraints, map[string]any{c.op: c.arg.plain()})
	}
	return d
}

// schema is an ordered property schema.
type schema struct {
	order []string
	props map[string]*propSchema
}

func (s *schema) get(name string) *propSchema {
	if s == nil {
		return nil
	}
	return s.props[name]
}

func (s *schema) put(ps *propSchema) {
	if s.props == nil {
		s.props = map[string]*propSchema{}
	}
	if _, ok := s.props[ps.name]; !ok {
		s.order = append(s.order, ps.name)
	}
	s.props[ps.name] = ps
}

// inherit returns a schema with parent's entries overridden by s's
// entries. When both declare a property of the same data type with a dict
// default, the child's default is merged over the parent's (Cloudify's
// rule), field by field.
func (s *schema) inherit(parent *schema) *schema {
	out := &schema{}
	if parent != nil {
		for _, n := range parent.order {
			out.put(parent.props[n])
		}
	}
	for _, n := range s.order {
		ps := s.props[n]
		if pp := out.props[n]; pp != nil && pp.typ == ps.typ && !primitiveTypes[ps.typ] && ps.typ != "" &&
			isDict(pp.def) && isDict(ps.def) {
			merged := *ps
			merged.def, merged.full, merged.fullState, merged.key = overlay(pp.def, ps.def), nil, 0, nil
			ps = &merged
		}
		out.put(ps)
	}
	return out
}

func isDict(n *ynode) bool { return n != nil && n.kind == kMap }

// overlay returns the mapping base with top's entries over it: base's keys
// first (top's value where top has one), then top's own keys.
func overlay(base, top *ynode) *ynode {
	out := &ynode{kind: kMap, pos: top.pos, keys: make([]*ynode, 0, len(base.keys)+len(top.keys)), vals: make([]*ynode, 0, len(base.keys)+len(top.keys))}
	for i, k := range base.keys {
		v := base.vals[i]
		if tv := top.get(k.keyStr()); tv != nil {
			k, v = top.keyNode(k.keyStr()), tv
		}
		out.keys = append(out.keys, k)
		out.vals = append(out.vals, v)
	}
	for i, k := range top.keys {
		if base.keyNode(k.keyStr()) == nil {
			out.keys = append(out.keys, k)
			out.vals = append(out.vals, top.vals[i])
		}
	}
	return out
}

var primitiveTypes = map[string]bool{"string": true, "integer": true, "float": true, "boolean": true, "list": true, "dict": true,
	// Cloudify 7 (dsl_modern.go)
	"regex": true, "textarea": true, "blueprint_id": true, "deployment_id": true, "node_id": true, "node_type": true,
	"node_instance": true, "scaling_group": true, "secret_key": true, "capability_value": true, "operation_name": true}

var propSchemaKeys = keys{"description": v1_0, "type": v1_0, "default": v1_0, "required": v1_2, "constraints": v1_0, "item_type": v1_4}

// parseSchema parses `{name: {description, type, default, required}}`.
func (p *parser) parseSchema(n *ynode, what string, constraintsOK bool) *schema {
	s := &schema{}
	p.entries(n, what, func(name string, k, v *ynode) {
		ps := &propSchema{name: name, required: true, pos: k.pos}
		if v.kind == kNull {
			s.put(ps)
			return
		}
		if !p.isMap(v, fmt.Sprintf("%s '%s'", what, name), false) {
			return
		}
		allowed := propSchemaKeys
		if !constraintsOK {
			allowed = keys{"description": v1_0, "type": v1_0, "default": v1_0, "required": v1_2}
		}
		p.strict(v, fmt.Sprintf("%s '%s'", what, name), allowed)
		ps.desc, _ = p.str(v.get("description"), "description")
		ps.typ, _ = p.str(v.get("type"), "type")
		if d := v.keyNode("default"); d != nil {
			ps.def = v.get("default")
		}
		ps.required = p.boolean(v.get("required"), "required", true)
		if c := v.get("constraints"); c != nil {
			ps.constraints = p.parseConstraints(c)
		}
		ps.itemType = p.checkItemType(v, ps.typ, fmt.Sprintf("%s '%s'", what, name))
		s.put(ps)
	})
	return s
}

// checkSchemaTypes checks that every type named in a schema exists and that
// defaults match their type. With partial (the property schemas of node,
// relationship and data types), a data-typed default may lack required
// fields: they are checked on the value each template ends up with, and
// the default stays as written so that it merges under template values.
func (p *parser) checkSchemaTypes(s *schema, what string, ctx *funcScope, partial bool) {
	for _, n := range s.order {
		ps := s.props[n]
		if ps.typ != "" && !primitiveTypes[ps.typ] && p.bp.dataTypes[ps.typ] == nil {
			hint := suggest(ps.typ, append(sortedKeys(p.bp.dataTypes), "string", "integer", "float", "boolean"))
			p.add(ps.pos, CodeTypeNotFound, fmt.Sprintf("%s '%s' has unknown type '%s'", what, n, ps.typ), hint)
			ps.typ = ""
		}
		if ps.def != nil && ps.typ != "" {
			if partial && p.bp.dataTypes[ps.typ] != nil {
				before := len(p.probs)
				p.partial = true
				p.coerce(ps.def, ps.typ, fmt.Sprintf("default of %s '%s'", what, n))
				p.partial = false
				if len(p.probs) > before {
					ps.fullState = fullBad // reported here, not again per template
				}
				continue
			}
			if v, ok := p.coerce(ps.def, ps.typ, fmt.Sprintf("default of %s '%s'", what, n)); ok {
				ps.def = v
			}
		}
	}
}

// coerce type-checks v against typ, filling in data type defaults. Values
// holding intrinsic functions are not checked.
func (p *parser) coerce(v *ynode, typ, what string) (*ynode, bool) {
	if v == nil || typ == "" || isFunction(v) {
		return v, true
	}
	bad := func() (*ynode, bool) {
		p.add(v.pos, CodePropertyType, fmt.Sprintf("%s must be of type %s, found %s", what, typ, v.kind), "")
		return v, false
	}
	switch typ {
	case "string":
		return v, true
	case "integer":
		if v.kind != kInt {
			return bad()
		}
		return v, true
	case "float":
		if v.kind != kInt && v.kind != kFloat {
			return bad()
		}
		return v, true
	case "boolean":
		if v.kind != kBool {
			return bad()
		}
		return v, true
	case "list":
		if v.kind != kSeq {
			return bad()
		}
		return v, true
	case "dict":
		if v.kind != kMap {
			return bad()
		}
		return v, true
	}
	if isModernPrimitive(typ) {
		return p.coerceModern(v, typ, what)
	}
	dt := p.bp.dataTypes[typ]
	if dt == nil {
		return v, true
	}
	if v.kind != kMap {
		return bad()
	}
	return p.mergeProps(dt.props, v, v.pos, what, nil)
}

// mergeProps merges given values over a schema: unknown keys and missing
// required values are problems; defaults fill the rest. The result is a new
// mapping node in schema order (given-only keys are dropped).
func (p *parser) mergeProps(s *schema, given *ynode, at Pos, what string, ctx *funcScope) (*ynode, bool) {
	ok := true
	out := &ynode{kind: kMap, pos: at, keys: make([]*ynode, 0, len(s.order)), vals: make([]*ynode, 0, len(s.order))}
	if given != nil && given.kind == kMap {
		out.pos = given.pos
		for _, k := range given.keys {
			ks := k.keyStr()
			if s.get(ks) == nil {
				hint := suggest(ks, s.order)
				if hint == "" && len(s.order) > 0 {
					hint = "known properties: " + allowedList(s.order)
				}
				p.add(k.pos, CodePropertyUnknown, fmt.Sprintf("%s has no property '%s'", what, ks), hint)
				ok = false
			}
		}
	} else if given != nil && given.kind != kNull {
		p.add(given.pos, CodeWrongType, fmt.Sprintf("properties of %s must be a dict, found %s", what, given.kind), "")
		given = nil
		ok = false
	}
	for _, name := range s.order {
		ps := s.props[name]
		var val, key *ynode
		if given != nil {
			val, key = given.get(name), given.keyNode(name)
		}
		if key != nil {
			if ps.typ != "" {
				if isDict(ps.def) && isDict(val) && p.bp.dataTypes[ps.typ] != nil && ps.fullState != fullBad {
					val = overlay(ps.def, val) // the type's default under the template's value
				}
				var good bool
				val, good = p.coerce(val, ps.typ, fmt.Sprintf("property '%s' of %s", name, what))
				ok = ok && good
			}
			out.keys = append(out.keys, key)
			out.vals = append(out.vals, val)
			continue
		}
		if ps.def != nil {
			def, good := p.completeDefault(ps, at, what)
			ok = ok && good
			out.keys = append(out.keys, ps.keyNode())
			out.vals = append(out.vals, def)
			continue
		}
		if def, ok := p.implicitDataDefault(ps, what); ok {
			out.keys = append(out.keys, ps.keyNode())
			out.vals = append(out.vals, def)
			continue
		}
		if ps.required && !p.partial {
			p.add(at, CodePropertyRequired, fmt.Sprintf("%s is missing the required property '%s'", what, name),
				fmt.Sprintf("give '%s' a value (it has no default)", name))
			ok = false
		}
	}
	return out, ok
}

// completeDefault is the default of a data-typed property filled with its
// data type's defaults, for a template (owner) that gives no value. A default that
// leaves required fields missing is a problem at the template (at).
// Defaults of other types are used as they are.
func (p *parser) completeDefault(ps *propSchema, at Pos, owner string) (*ynode, bool) {
	if p.partial || !isDict(ps.def) || p.bp.dataTypes[ps.typ] == nil || ps.fullState == fullBad {
		return ps.def, true
	}
	what := fmt.Sprintf("property '%s' of %s", ps.name, owner)
	if ps.fullState == fullUnknown {
		quiet := &parser{bp: p.bp, ver: p.ver}
		if full, ok := quiet.coerce(ps.def, ps.typ, what); ok {
			ps.full, ps.fullState = full, fullOK
		} else {
			ps.fullState = fullPartial
		}
	}
	if ps.fullState == fullOK {
		return ps.full, true
	}
	here := *ps.def
	here.pos = at
	return p.coerce(&here, ps.typ, what)
}

// dataType is a `data_types` entry.
type dataType struct {
	derived
	own     *schema
	props   *schema
	builtin bool
}

// nodeType is a `node_types` entry after inheritance.
type nodeType struct {
	derived
	ownProps  *schema
	ownIfaces ifaces
	props     *schema
	ifaces    ifaces
	hierarchy []string // root first
	opCache   *opSet   // operations of templates that override none
}

// relType is a `relationships` entry after inheritance.
type relType struct {
	derived
	ownProps             *schema
	ownSrc, ownTgt       ifaces
	props                *schema
	srcIfaces, tgtIfaces ifaces
	hierarchy            []string
	srcCache, tgtCache   *opSet
}

func (t *relType) isA(name string) bool {
	for _, h := range t.hierarchy {
		if h == name {
			return true
		}
	}
	return false
}

func (t *nodeType) isA(name string) bool {
	for _, h := range t.hierarchy {
		if h == name {
			return true
		}
	}
	return false
}

var dataTypeKeys = keys{"derived_from": v1_2, "description": v1_2, "version": v1_2, "properties": v1_2}
var nodeTypeKeys = keys{"derived_from": v1_0, "properties": v1_0, "interfaces": v1_0, "description": v1_0}
var relTypeKeys = keys{"derived_from": v1_0, "properties": v1_0, "source_interfaces": v1_0, "target_interfaces": v1_0, "description": v1_0}

func (p *parser) parseDataTypes(sec *ynode) {
	p.entries(sec, "data_types", func(name string, k, v *ynode) {
		what := fmt.Sprintf("data type '%s'", name)
		if primitiveTypes[name] {
			p.add(k.pos, CodePrimitiveRedef, fmt.Sprintf("data type '%s' redefines a primitive type", name), "choose another name")
			return
		}
		dt := &dataType{derived: derived{name: name, pos: k.pos, node: v}, builtin: p.builtins[k.pos.File]}
		if p.isMap(v, what, true) {
			p.strict(v, what, dataTypeKeys)
			dt.parent, _ = p.str(v.get("derived_from"), "derived_from")
			dt.own = p.parseSchema(v.get("properties"), what+" property", true)
		} else {
			dt.own = &schema{}
		}
		p.bp.dataTypes[name] = dt
	})
	for _, name := range sortedKeys(p.bp.dataTypes) {
		p.resolveDataType(p.bp.dataTypes[name], nil)
	}
	for _, name := range sortedKeys(p.bp.dataTypes) {
		dt := p.bp.dataTypes[name]
		p.checkSchemaTypes(dt.own, fmt.Sprintf("data type '%s' property", name), nil, true)
	}
}

func (p *parser) resolveDataType(dt *dataType, chain []string) {
	resolveDerived(p, "data type", p.bp.dataTypes, dt, func(t *dataType) *derived { return &t.derived }, func(t, parent *dataType) {
		var ps *schema
		if parent != nil {
			ps = parent.props
		}
		t.props = t.own.inherit(ps)
	}, chain)
}

func (p *parser) parseNodeTypes(sec *ynode) {
	p.entries(sec, "node_types", func(name string, k, v *ynode) {
		what := fmt.Sprintf("node type '%s'", name)
		nt := &nodeType{derived: derived{name: name, pos: k.pos, node: v}, ownProps: &schema{}, ownIfaces: ifaces{}}
		if p.isMap(v, what, true) {
			p.strict(v, what, nodeTypeKeys)
			nt.parent, _ = p.str(v.get("derived_from"), "derived_from")
			nt.ownProps = p.parseSchema(v.get("properties"), what+" property", false)
			nt.ownIfaces = p.parseInterfaces(v.get("interfaces"), what, true)
		}
		p.bp.nodeTypes[name] = nt
	})
	for _, name := range sortedKeys(p.bp.nodeTypes) {
		p.resolveNodeType(p.bp.nodeTypes[name], nil)
	}
	for _, name := range sortedKeys(p.bp.nodeTypes) {
		p.checkSchemaTypes(p.bp.nodeTypes[name].ownProps, fmt.Sprintf("node type '%s' property", name), nil, true)
	}
}

func (p *parser) resolveNodeType(nt *nodeType, chain []string) {
	resolveDerived(p, "node type", p.bp.nodeTypes, nt, func(t *nodeType) *derived { return &t.derived }, func(t, parent *nodeType) {
		if parent == nil {
			t.props, t.ifaces, t.hierarchy = t.ownProps.inherit(nil), t.ownIfaces.inherit(nil), []string{t.name}
			return
		}
		t.props = t.ownProps.inherit(parent.props)
		t.ifaces = t.ownIfaces.inherit(parent.ifaces)
		t.hierarchy = append(append(make([]string, 0, len(parent.hierarchy)+1), parent.hierarchy...), t.name)
	}, chain)
}

func (p *parser) parseRelTypes(sec *ynode) {
	p.entries(sec, "relationships", func(name string, k, v *ynode) {
		what := fmt.Sprintf("relationship type '%s'", name)
		rt := &relType{derived: derived{name: name, pos: k.pos, node: v}, ownProps: &schema{}, ownSrc: ifaces{}, ownTgt: ifaces{}}
		if p.isMap(v, what, true) {
			p.strict(v, what, relTypeKeys)
			rt.parent, _ = p.str(v.get("derived_from"), "derived_from")
			rt.ownProps = p.parseSchema(v.get("properties"), what+" property", false)
			rt.ownSrc = p.parseInterfaces(v.get("source_interfaces"), what, true)
			rt.ownTgt = p.parseInterfaces(v.get("target_interfaces"), what, true)
		}
		p.bp.relTypes[name] = rt
	})
	for _, name := range sortedKeys(p.bp.relTypes) {
		p.resolveRelType(p.bp.relTypes[name], nil)
	}
	for _, name := range sortedKeys(p.bp.relTypes) {
		p.checkSchemaTypes(p.bp.relTypes[name].ownProps, fmt.Sprintf("relationship type '%s' property", name), nil, true)
	}
}

func (p *parser) resolveRelType(rt *relType, chain []string) {
	resolveDerived(p, "relationship type", p.bp.relTypes, rt, func(t *relType) *derived { return &t.derived }, func(t, parent *relType) {
		if parent == nil {
			t.props, t.srcIfaces, t.tgtIfaces, t.hierarchy = t.ownProps.inherit(nil), t.ownSrc.inherit(nil), t.ownTgt.inherit(nil), []string{t.name}
			return
		}
		t.props = t.ownProps.inherit(parent.props)
		t.srcIfaces = t.ownSrc.inherit(parent.srcIfaces)
		t.tgtIfaces = t.ownTgt.inherit(parent.tgtIfaces)
		t.hierarchy = append(append(make([]string, 0, len(parent.hierarchy)+1), parent.hierarchy...), t.name)
	}, chain)
}
