package tosca

import (
	"encoding/json"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"
)

// Prepare binds inputs and evaluates the parse-time functions (get_input,
// get_property, concat and merge over literals), producing the deployment
// plan's nodes, outputs, workflows, groups and policies. NodeInstances are
// left empty (tosca/plan fills them). Missing required inputs, unknown
// inputs and values that break their type or constraints are problems.
func (b *Blueprint) Prepare(inputs map[string]any) (plan *Plan, probs Problems) {
	defer func() {
		if r := recover(); r != nil {
			plan = nil
			probs = sortProblems(append(probs, Problem{File: b.mainDisplay(), Line: 1, Column: 1, Code: CodeInternal,
				Message: fmt.Sprintf("internal error while preparing the plan: %v", r),
				Hint:    "please report this blueprint as a Gantry bug: " + firstLine(string(debug.Stack()))}))
		}
	}()
	e := &evaluator{p: &parser{bp: b, ver: b.ver}, bp: b, active: map[string]bool{}}
	e.bindInputs(inputs)
	if len(e.p.probs) > 0 {
		return nil, sortProblems(e.p.probs)
	}
	plan = e.build()
	if len(e.p.probs) == 0 {
		e.p.checkInstanceTotal(InstanceLimit(b.maxInstances),
			func(t *template) int64 { return int64(plan.Nodes[t.idx].Capabilities.DefaultInstances) },
			func(sg *scalingGroupDef) int64 {
				return int64(plan.ScalingGroups[sg.name].Properties.DefaultInstances)
			})
	}
	if len(e.p.probs) > 0 {
		return nil, sortProblems(e.p.probs)
	}
	return plan, nil
}

func (b *Blueprint) mainDisplay() string {
	if len(b.Files) > 0 {
		return b.Files[0]
	}
	return b.MainFile
}

type evaluator struct {
	p      *parser
	bp     *Blueprint
	inputs map[string]any
	active map[string]bool // get_property evaluations in progress
}

func (e *evaluator) bindInputs(given map[string]any) {
	b := e.bp
	e.inputs = make(map[string]any, len(b.inputs.order))
	at := Pos{File: b.mainDisplay(), Line: 1, Col: 1}
	for _, name := range sortedKeys(given) {
		if b.inputs.get(name) == nil {
			e.p.add(at, CodeInputUnknown, fmt.Sprintf("input '%s' is not declared by the blueprint", name),
				orDefault(suggest(name, b.inputs.order), "declared inputs: "+allowedList(b.inputs.order)))
		}
	}
	for _, name := range b.inputs.order {
		ps := b.inputs.props[name]
		if v, ok := given[name]; ok {
			if cv, good := e.p.checkInputValue(ps, v, ps.pos); good {
				e.inputs[name] = cv
			}
			continue
		}
		if ps.def != nil {
			e.inputs[name] = ps.def.plain()
			continue
		}
		if !ps.required {
			e.inputs[name] = nil
			continue
		}
		e.p.add(ps.pos, CodeInputMissing, fmt.Sprintf("input '%s' has no value and no default", name),
			fmt.Sprintf("pass it with `-i %s=VALUE` or give it a default", name))
	}
}

func (e *evaluator) build() *Plan {
	b := e.bp
	pl := &Plan{
		Version: b.Version, Description: b.Description, Metadata: b.Metadata,
		Inputs: e.inputs, InputDefs: b.InputDefs(),
		Outputs: map[string]*Output{}, Workflows: map[string]*Workflow{}, Groups: map[string]*Group{},
		ScalingGroups: map[string]*ScalingGroup{}, Plugins: map[string]*Plugin{},
		BlueprintDir: b.Dir, MainFile: b.MainFile, NamespacesMapping: b.NamespacesMapping,
		Nodes: make([]*Node, 0, len(b.templates)), NodeInstances: []*NodeInstance{},
	}
	for n, p := range b.plugins {
		pl.Plugins[n] = p
	}
	byID := make(map[string]*Node, len(b.templates))
	for _, t := range b.templates {
		n := e.node(t)
		pl.Nodes = append(pl.Nodes, n)
		byID[n.ID] = n
	}
	// plugins_to_install on hosts: host_agent plugins of the nodes they host.
	hostPlugins := map[string]map[string]bool{}
	for _, n := range pl.Nodes {
		if n.HostID == "" {
			continue
		}
		for _, p := range n.Plugins {
			if p.Executor == ExecutorHost && p.Install {
				if hostPlugins[n.HostID] == nil {
					hostPlugins[n.HostID] = map[string]bool{}
				}
				hostPlugins[n.HostID][p.Name] = true
			}
		}
	}
	for host, set := range hostPlugins {
		if h := byID[host]; h != nil {
			for _, name := range sortedKeys(set) {
				h.PluginsToInstall = append(h.PluginsToInstall, b.plugins[name])
			}
		}
	}
	for _, o := range b.outputs {
		pl.Outputs[o.name] = &Output{Description: o.desc, Value: e.eval(o.value, &funcScope{kind: scOutput})}
	}
	if len(b.capabilities) > 0 {
		pl.Capabilities = map[string]*Output{}
		for _, o := range b.capabilities {
			pl.Capabilities[o.name] = &Output{Description: o.desc, Value: e.eval(o.value, &funcScope{kind: scOutput})}
		}
	}
	for n, w := range b.workflows {
		pl.Workflows[n] = w
	}
	for _, name := range b.groupOrder {
		g := b.groups[name]
		pl.Groups[name] = &Group{Members: append([]string{}, g.members...), Policies: g.policies}
	}
	for _, name := range b.groupOrder {
		sg := b.scalingGroups[name]
		if sg == nil {
			continue
		}
		s := e.scalable(sg.minI, sg.maxI, sg.defI, sg.pos, fmt.Sprintf("scaling group '%s'", name))
		pl.ScalingGroups[name] = &ScalingGroup{Members: append([]string{}, sg.members...), Properties: s}
	}
	if len(b.policies) > 0 {
		pl.Policies = map[string]*Policy{}
		for _, pd := range b.policies {
			props, _ := e.eval(pd.props, &funcScope{kind: scOutput}).(map[string]any)
			pl.Policies[pd.name] = &Policy{Type: pd.typ, Properties: props, Targets: append([]string{}, pd.targets...)}
		}
	}
	pl.Labels = e.labels(b.labels, b.bpLabels)
	return pl
}

func (e *evaluator) labels(ns ...*ynode) map[string][]any {
	var out map[string][]any
	for _, n := range ns {
		if n == nil || n.kind != kMap {
			continue
		}
		for i, k := range n.keys {
			v := n.vals[i]
			if v.kind == kMap {
				v = v.get("values")
			}
			vals, _ := e.eval(v, &funcScope{kind: scOutput}).([]any)
			if out == nil {
				out = map[string][]any{}
			}
			out[k.keyStr()] = append(out[k.keyStr()], vals...)
		}
	}
	return out
}

func (e *evaluator) node(t *template) *Node {
	sc := &funcScope{kind: scNode, self: t}
	n := &Node{ID: t.name, Name: t.name, Type: t.typ.name, TypeHierarchy: append([]string{}, t.typ.hierarchy...), HostID: t.hostID}
	n.Properties, _ = e.eval(t.props, sc).(map[string]any)
	if n.Properties == nil {
		n.Properties = map[string]any{}
	}
	n.Operations = e.operations(t.ops, sc)
	n.Relationships = make([]*Relationship, 0, len(t.rels))
	for _, r := range t.rels {
		rs := &funcScope{kind: scRel, source: t, target: r.tgt}
		rel := &Relationship{Type: r.typ.name, TargetID: r.target, TypeHierarchy: append([]string{}, r.typ.hierarchy...)}
		rel.Properties, _ = e.eval(r.props, rs).(map[string]any)
		if rel.Properties == nil {
			rel.Properties = map[string]any{}
		}
		rel.SourceOperations = e.operations(r.srcOps, rs)
		rel.TargetOperations = e.operations(r.tgtOps, rs)
		n.Relationships = append(n.Relationships, rel)
	}
	for _, name := range sortedKeys(t.plugins) {
		if p := e.bp.plugins[name]; p != nil {
			n.Plugins = append(n.Plugins, p)
		}
	}
	n.Capabilities = e.scalable(t.minI, t.maxI, t.defI, t.capsPos, fmt.Sprintf("node template '%s'", t.name))
	n.PlannedInstances = n.Capabilities.PlannedInstances
	return n
}

// scalable evaluates scalable properties and checks them.
func (e *evaluator) scalable(minN, maxN, defN *ynode, at Pos, what string) Scalable {
	sc := &funcScope{kind: scOutput}
	conv := func(n *ynode) *ynode {
		if n == nil || !isFunction(n) {
			return n
		}
		return fromPlain(e.eval(n, sc), n.pos)
	}
	s, err := scalableOf(conv(minN), conv(maxN), conv(defN))
	if err != nil {
		e.p.add(at, CodeInstances, fmt.Sprintf("%s: %v", what, err), "")
	}
	s.CurrentInstances, s.PlannedInstances = s.DefaultInstances, s.DefaultInstances
	return s
}

func (e *evaluator) operations(set *opSet, sc *funcScope) map[string]*Operation {
	if set == nil {
		return map[string]*Operation{}
	}
	if !set.hasFunctions() {
		if set.static == nil {
			set.static = e.evalOps(set.ops, sc)
		}
		return set.static
	}
	return e.evalOps(set.ops, sc)
}

func (e *evaluator) evalOps(ops map[string]*mappedOp, sc *funcScope) map[string]*Operation {
	out := make(map[string]*Operation, len(ops)*2)
	shortCount := make(map[string]int, len(ops))
	for _, m := range ops {
		shortCount[m.short]++
	}
	for full, m := range ops {
		op := m.op
		if m.inputs != nil {
			op.Inputs, _ = e.eval(m.inputs, sc).(map[string]any)
		}
		if op.Inputs == nil {
			op.Inputs = map[string]any{}
		}
		op.HasIntrinsicFunctions = HasRuntimeFunctions(op.Inputs)
		o := &op
		out[full] = o
		if m.short != "" && shortCount[m.short] == 1 {
			if _, clash := ops[m.short]; !clash {
				out[m.short] = o
			}
		}
	}
	return out
}

// eval converts n to plain values, evaluating parse-time functions.
func (e *evaluator) eval(n *ynode, sc *funcScope) any {
	if n == nil {
		return nil
	}
	switch n.kind {
	case kMap:
		if isFunction(n) {
			return e.evalFn(n, sc)
		}
		m := make(map[string]any, len(n.keys))
		for i, k := range n.keys {
			m[k.keyStr()] = e.eval(n.vals[i], sc)
		}
		return m
	case kSeq:
		l := make([]any, len(n.items))
		for i, it := range n.items {
			l[i] = e.eval(it, sc)
		}
		return l
	}
	return n.val
}

func (e *evaluator) evalFn(n *ynode, sc *funcScope) any {
	name := fnName(n)
	argN := n.vals[0]
	switch name {
	case FnGetInput:
		arg := e.eval(argN, sc)
		var inName string
		var path []any
		switch a := arg.(type) {
		case string:
			inName = a
		case []any:
			if len(a) > 0 {
				inName, _ = a[0].(string)
				path = a[1:]
			}
		}
		v, ok := e.inputs[inName]
		if !ok {
			e.p.add(argN.pos, CodeFuncInput, fmt.Sprintf("get_input refers to input '%s', which is not declared", inName), "")
			return nil
		}
		v = deepCopy(v)
		if len(path) > 0 {
			r, err := walkPath(v, path)
			if err != nil {
				e.p.add(argN.pos, CodeFuncEval, fmt.Sprintf("get_input %s: %v", inName, err), "")
				return nil
			}
			return r
		}
		return v
	case FnGetProperty:
		return e.getProperty(n, sc)
	case FnConcat:
		args, _ := e.eval(argN, sc).([]any)
		if anyFunction(args) {
			return map[string]any{FnConcat: args}
		}
		var b strings.Builder
		for _, a := range args {
			b.WriteString(toText(a))
		}
		return b.String()
	case FnMerge:
		args, _ := e.eval(argN, sc).([]any)
		if anyFunction(args) {
			return map[string]any{FnMerge: args}
		}
		out := map[string]any{}
		for i, a := range args {
			m, ok := a.(map[string]any)
			if !ok {
				e.p.add(argN.pos, CodeFuncEval, fmt.Sprintf("merge: argument %d is not a dict", i+1), "")
				continue
			}
			for k, v := range m {
				out[k] = v
			}
		}
		return out
	default: // Cloudify 6.x functions; runtime functions: evaluate parse-time functions in the arguments
		return e.evalModernFn(name, argN, sc)
	}
}

func anyFunction(args []any) bool {
	for _, a := range args {
		if isFunctionValue(a) || HasRuntimeFunctions(a) {
			return true
		}
	}
	return false
}

func (e *evaluator) getProperty(n *ynode, sc *funcScope) any {
	argN := n.vals[0]
	args, _ := e.eval(argN, sc).([]any)
	if len(args) < 2 {
		e.p.add(argN.pos, CodeFuncArgs, "get_property needs [node, property, ...]", "")
		return nil
	}
	ref, _ := args[0].(string)
	var t *template
	switch ref {
	case "SELF":
		t = sc.self
	case "SOURCE":
		t = sc.source
	case "TARGET":
		t = sc.target
	default:
		t = e.bp.tmplIdx[ref]
	}
	if t == nil {
		e.p.add(argN.pos, CodeFuncNode, fmt.Sprintf("get_property: cannot resolve node '%s' here", ref), "")
		return nil
	}
	key := t.name + "\x00" + joinPath(args[1:])
	if e.active[key] {
		e.p.add(n.pos, CodeFuncCycle, fmt.Sprintf("get_property references form a cycle through %v of node '%s'", args[1:], t.name), "make one of the properties a plain value")
		return nil
	}
	e.active[key] = true
	defer delete(e.active, key)
	cur := t.props
	self := &funcScope{kind: scNode, self: t}
	for i, el := range args[1:] {
		if isFunction(cur) {
			v, err := walkPath(e.eval(cur, self), args[1+i:])
			if err != nil {
				e.p.add(argN.pos, CodeFuncProperty, fmt.Sprintf("get_property: node '%s': %v", t.name, err), "")
				return nil
			}
			return v
		}
		var next *ynode
		switch k := el.(type) {
		case string:
			if cur != nil && cur.kind == kMap {
				next = cur.get(k)
				if next == nil && cur.keyNode(k) != nil {
					next = &ynode{kind: kNull}
				}
			}
		case int:
			if cur != nil && cur.kind == kSeq && k >= 0 && k < len(cur.items) {
				next = cur.items[k]
			}
		}
		if next == nil {
			e.p.add(argN.pos, CodeFuncProperty, fmt.Sprintf("get_property: node '%s' has no property %s", t.name, joinPath(args[1:i+2])), "")
			return nil
		}
		cur = next
	}
	return e.eval(cur, self)
}

func joinPath(p []any) string {
	parts := make([]string, len(p))
	for i, x := range p {
		parts[i] = fmt.Sprint(x)
	}
	return strings.Join(parts, ".")
}

// WalkPath follows dict keys (strings) and list indexes (integers, also
// as integral floats, as JSON decodes them) through a plain value: the one
// path rule of get_input, get_attribute, get_secret and get_capability
// paths, whoever evaluates them.
func WalkPath(v any, path []any) (any, error) { return walkPath(v, path) }

// walkPath follows dict keys and list indexes through a plain value.
func walkPath(v any, path []any) (any, error) {
	for i, el := range path {
		switch k := el.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s is not a dict", joinPath(path[:i]))
			}
			x, ok := m[k]
			if !ok {
				return nil, fmt.Errorf("no key %s", joinPath(path[:i+1]))
			}
			v = x
		case int:
			l, ok := v.([]any)
			if !ok || k < 0 || k >= len(l) {
				return nil, fmt.Errorf("no index %s", joinPath(path[:i+1]))
			}
			v = l[k]
		case int64:
			l, ok := v.([]any)
			if !ok || k < 0 || k >= int64(len(l)) {
				return nil, fmt.Errorf("no index %s", joinPath(path[:i+1]))
			}
			v = l[k]
		case float64:
			l, ok := v.([]any)
			if !ok || k != float64(int(k)) || int(k) < 0 || int(k) >= len(l) {
				return nil, fmt.Errorf("no index %s", joinPath(path[:i+1]))
			}
			v = l[int(k)]
		default:
			return nil, fmt.Errorf("path element %v is neither a key nor an index", el)
		}
	}
	return v, nil
}

// toText renders a value for concat.
func toText(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case bool:
		return strconv.FormatBool(t)
	case int:
		return strconv.Itoa(t)
	case int64:
		return strconv.FormatInt(t, 10)
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	default:
		b, err := json.Marshal(t)
		if err != nil {
			return fmt.Sprint(t)
		}
		return string(b)
	}
}

func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = deepCopy(x)
		}
		return m
	case []any:
		l := make([]any, len(t))
		for i, x := range t {
			l[i] = deepCopy(x)
		}
		return l
	}
	return v
}
