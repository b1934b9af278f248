package tosca

import (
	"fmt"
	"strconv"
	"strings"
)

// Intrinsic function names.
const (
	FnGetInput      = "get_input"
	FnGetProperty   = "get_property"
	FnGetAttribute  = "get_attribute"
	FnGetSecret     = "get_secret"
	FnGetCapability = "get_capability"
	FnConcat        = "concat"
	FnMerge         = "merge"
)

var functionNames = map[string]bool{FnGetInput: true, FnGetProperty: true, FnGetAttribute: true, FnGetSecret: true,
	FnGetCapability: true, FnConcat: true, FnMerge: true,
	// Cloudify 6.x (functions_modern.go)
	FnStringFind: true, FnStringReplace: true, FnStringSplit: true, FnStringLower: true, FnStringUpper: true,
	FnGetSys: true, FnGetLabel: true, FnGetAttributesList: true, FnGetAttributesDict: true,
	FnGetGroupCapability: true, FnGetEnvironmentCapability: true, FnGetConsumers: true}

// runtimeFunctions are evaluated while workflows run, not at Prepare.
var runtimeFunctions = map[string]bool{FnGetAttribute: true, FnGetSecret: true, FnGetCapability: true,
	FnGetAttributesList: true, FnGetAttributesDict: true, FnGetSys: true, FnGetLabel: true,
	FnGetGroupCapability: true, FnGetEnvironmentCapability: true, FnGetConsumers: true}

// isFunction reports whether n is an intrinsic function call: a mapping with
// exactly one key that is a function name.
func isFunction(n *ynode) bool {
	return n != nil && n.kind == kMap && len(n.keys) == 1 && functionNames[n.keys[0].keyStr()]
}

func fnName(n *ynode) string { return n.keys[0].keyStr() }

// isFunctionValue is isFunction for plain values.
func isFunctionValue(v any) bool {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return false
	}
	for k := range m {
		return functionNames[k]
	}
	return false
}

// HasRuntimeFunctions reports whether v holds get_attribute, get_secret or
// get_capability anywhere.
func HasRuntimeFunctions(v any) bool {
	switch t := v.(type) {
	case map[string]any:
		if len(t) == 1 {
			for k := range t {
				if runtimeFunctions[k] {
					return true
				}
			}
		}
		for _, x := range t {
			if HasRuntimeFunctions(x) {
				return true
			}
		}
	case []any:
		for _, x := range t {
			if HasRuntimeFunctions(x) {
				return true
			}
		}
	}
	return false
}

type scopeKind uint8

const (
	scNode   scopeKind = iota // node properties, capabilities, node operation inputs
	scRel                     // relationship properties and operation inputs
	scOutput                  // outputs, capabilities, policies, labels
)

// funcScope is where a function appears.
type funcScope struct {
	kind   scopeKind
	self   *template
	source *template
	target *template
	tname  string // relationship target name
	what   string // for outputs, policies, labels
}

// desc describes the scope for messages.
func (sc *funcScope) desc() string {
	switch {
	case sc.kind == scNode && sc.self != nil:
		return "node template '" + sc.self.name + "'"
	case sc.kind == scRel && sc.source != nil:
		return "relationship of node template '" + sc.source.name + "' to '" + sc.tname + "'"
	}
	return sc.what
}

// validateFunctions checks every function in the scanned locations.
func (p *parser) validateFunctions() {
	bp := p.bp
	p.propState = map[string]uint8{}
	for _, t := range bp.templates {
		sc := &funcScope{kind: scNode, self: t}
		p.walkFunctions(t.props, sc)
		p.walkOpFunctions(t.ops, sc)
		for _, v := range []*ynode{t.minI, t.maxI, t.defI} {
			p.walkFunctions(v, sc)
		}
		for _, r := range t.rels {
			rs := &funcScope{kind: scRel, source: t, target: r.tgt, tname: r.target}
			p.walkFunctions(r.props, rs)
			p.walkOpFunctions(r.srcOps, rs)
			p.walkOpFunctions(r.tgtOps, rs)
		}
	}
	for _, o := range bp.outputs {
		p.walkFunctions(o.value, &funcScope{kind: scOutput, what: fmt.Sprintf("output '%s'", o.name)})
	}
	for _, o := range bp.capabilities {
		p.walkFunctions(o.value, &funcScope{kind: scOutput, what: fmt.Sprintf("capability '%s'", o.name)})
	}
	for _, pd := range bp.policies {
		p.walkFunctions(pd.props, &funcScope{kind: scOutput, what: fmt.Sprintf("policy '%s'", pd.name)})
	}
	p.walkFunctions(bp.labels, &funcScope{kind: scOutput, what: "labels"})
	p.walkFunctions(bp.bpLabels, &funcScope{kind: scOutput, what: "blueprint_labels"})
}

func (p *parser) walkOpFunctions(set *opSet, sc *funcScope) {
	if !set.hasFunctions() {
		return
	}
	for _, n := range set.names {
		p.walkFunctions(set.ops[n].inputs, sc)
	}
}

func (p *parser) walkFunctions(n *ynode, sc *funcScope) {
	if n == nil {
		return
	}
	switch n.kind {
	case kMap:
		if isFunction(n) {
			p.checkFunction(n, sc)
		}
		for _, v := range n.vals {
			p.walkFunctions(v, sc)
		}
	case kSeq:
		for _, v := range n.items {
			p.walkFunctions(v, sc)
		}
	}
}

func (p *parser) checkFunction(n *ynode, sc *funcScope) {
	name := fnName(n)
	arg := n.vals[0]
	what := name + " in " + sc.desc()
	bad := func(want string) {
		p.add(arg.pos, CodeFuncArgs, fmt.Sprintf("%s: arguments must be %s", what, want), "")
	}
	switch name {
	case FnGetInput:
		var in string
		switch arg.kind {
		case kString:
			in = arg.val.(string)
		case kSeq:
			if len(arg.items) == 0 || arg.items[0].kind != kString {
				bad("an input name, or a list starting with an input name")
				return
			}
			in = arg.items[0].val.(string)
		default:
			if !isFunction(arg) {
				bad("an input name")
			}
			return
		}
		if p.bp.inputs.get(in) == nil {
			p.add(arg.pos, CodeFuncInput, fmt.Sprintf("%s refers to input '%s', which is not declared", what, in),
				orDefault(suggest(in, p.bp.inputs.order), "declare it under `inputs:`"))
		}
	case FnGetProperty, FnGetAttribute:
		if arg.kind != kSeq || len(arg.items) < 2 {
			bad("a list: [node name or SELF/SOURCE/TARGET, property name, nested keys...]")
			return
		}
		ref, ok := arg.items[0].str()
		if !ok {
			bad("a list starting with a node name or SELF/SOURCE/TARGET")
			return
		}
		t := p.refNode(ref, arg.items[0], sc, what)
		if t == nil || name != FnGetProperty {
			return
		}
		path := arg.items[1:]
		p.checkPropPath(t, path, what)
		if key, ok := staticKey(t, path); ok {
			p.propCycle(t, key, path, n.pos)
		}
	case FnGetSecret:
		if arg.kind != kString && !isFunction(arg) && (arg.kind != kSeq || len(arg.items) == 0) {
			bad("a secret name")
		}
	case FnGetCapability:
		if arg.kind != kSeq || len(arg.items) < 2 {
			bad("a list: [deployment id, capability name, nested keys...]")
		}
	case FnConcat:
		p.needVersion(n.keys[0], "concat", v1_1)
		if arg.kind != kSeq {
			bad("a list")
		}
	case FnMerge:
		if arg.kind != kSeq {
			bad("a list of dicts")
			return
		}
		for _, it := range arg.items {
			if it.kind != kMap {
				p.add(it.pos, CodeFuncArgs, fmt.Sprintf("%s: every argument must be a dict, found %s", what, it.kind), "")
			}
		}
	default:
		p.checkModernFunction(n, sc)
	}
}

// refNode resolves the node reference of get_property / get_attribute.
func (p *parser) refNode(ref string, at *ynode, sc *funcScope, what string) *template {
	fnIsAttr := strings.HasPrefix(what, FnGetAttribute)
	switch ref {
	case "SELF":
		if sc.kind != scNode {
			p.add(at.pos, CodeFuncContext, fmt.Sprintf("%s: SELF can only be used in a node template's properties and operation inputs", what),
				"name the node, or use SOURCE/TARGET in relationship operations")
			return nil
		}
		return sc.self
	case "SOURCE", "TARGET":
		if sc.kind != scRel {
			p.add(at.pos, CodeFuncContext, fmt.Sprintf("%s: %s can only be used in relationship operation inputs", what, ref), "name the node, or use SELF")
			return nil
		}
		if ref == "SOURCE" {
			return sc.source
		}
		return sc.target
	}
	t := p.bp.tmplIdx[ref]
	if t == nil {
		names := make([]string, 0, len(p.bp.templates))
		if len(p.bp.templates) < 2000 {
			for _, x := range p.bp.templates {
				names = append(names, x.name)
			}
		}
		p.add(at.pos, CodeFuncNode, fmt.Sprintf("%s refers to node '%s', which is not a node template", what, ref), suggest(ref, names))
		return nil
	}
	_ = fnIsAttr
	return t
}

// checkPropPath walks a static property path; it stops without a problem
// where the value is only known later (a function).
func (p *parser) checkPropPath(t *template, path []*ynode, what string) {
	cur := t.props
	for i, el := range path {
		if isFunction(cur) || isFunction(el) {
			return
		}
		switch el.kind {
		case kString:
			k := el.val.(string)
			if cur == nil || cur.kind != kMap || cur.keyNode(k) == nil {
				if i == 0 {
					p.add(el.pos, CodeFuncProperty, fmt.Sprintf("%s: node '%s' has no property '%s'", what, t.name, k), suggest(k, mapKeys(t.props)))
				} else {
					p.add(el.pos, CodeFuncProperty, fmt.Sprintf("%s: property path %s of node '%s' does not exist", what, pathString(path[:i+1]), t.name), suggest(k, mapKeys(cur)))
				}
				return
			}
			cur = cur.get(k)
		case kInt:
			idx := el.val.(int)
			if cur == nil || cur.kind != kSeq || idx < 0 || idx >= len(cur.items) {
				p.add(el.pos, CodeFuncProperty, fmt.Sprintf("%s: property path %s of node '%s' does not exist", what, pathString(path[:i+1]), t.name), "")
				return
			}
			cur = cur.items[idx]
		default:
			p.add(el.pos, CodeFuncArgs, fmt.Sprintf("%s: path elements must be strings or list indexes, found %s", what, el.kind), "")
			return
		}
	}
}

func mapKeys(n *ynode) []string {
	if n == nil || n.kind != kMap {
		return nil
	}
	out := make([]string, len(n.keys))
	for i, k := range n.keys {
		out[i] = k.keyStr()
	}
	return out
}

func pathString(path []*ynode) string {
	parts := make([]string, len(path))
	for i, el := range path {
		parts[i] = fmt.Sprint(el.val)
	}
	return strings.Join(parts, ".")
}

// staticKey is "node\x00a\x00b" for a literal path.
func staticKey(t *template, path []*ynode) (string, bool) {
	var b strings.Builder
	b.WriteString(t.name)
	for _, el := range path {
		b.WriteByte(0)
		switch el.kind {
		case kString:
			b.WriteString(el.val.(string))
		case kInt:
			b.WriteString(strconv.Itoa(el.val.(int)))
		default:
			return "", false
		}
	}
	return b.String(), true
}

// propCycle follows get_property references from (t, path) and reports a
// cycle. Each (node, path) is explored once.
func (p *parser) propCycle(t *template, key string, path []*ynode, at Pos) {
	switch p.propState[key] {
	case 2:
		return
	case 1:
		p.add(at, CodeFuncCycle, fmt.Sprintf("get_property references form a cycle through property %s of node '%s'", pathString(path), t.name),
			"make one of the properties a plain value")
		return
	}
	p.propState[key] = 1
	val := t.props
	for _, el := range path {
		if val == nil || isFunction(val) {
			val = nil
			break
		}
		switch el.kind {
		case kString:
			val = val.get(el.val.(string))
		case kInt:
			if val.kind == kSeq && el.val.(int) >= 0 && el.val.(int) < len(val.items) {
				val = val.items[el.val.(int)]
			} else {
				val = nil
			}
		}
	}
	p.followRefs(t, val)
	p.propState[key] = 2
}

func (p *parser) followRefs(self *template, n *ynode) {
	if n == nil {
		return
	}
	switch n.kind {
	case kMap:
		if isFunction(n) && fnName(n) == FnGetProperty {
			arg := n.vals[0]
			if arg.kind == kSeq && len(arg.items) >= 2 {
				ref, _ := arg.items[0].str()
				var t *template
				if ref == "SELF" {
					t = self
				} else {
					t = p.bp.tmplIdx[ref]
				}
				if t != nil {
					if key, ok := staticKey(t, arg.items[1:]); ok {
						p.propCycle(t, key, arg.items[1:], n.pos)
					}
				}
			}
			return
		}
		for _, v := range n.vals {
			p.followRefs(self, v)
		}
	case kSeq:
		for _, v := range n.items {
			p.followRefs(self, v)
		}
	}
}
