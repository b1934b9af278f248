package tosca

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Resolver gives EvaluateRuntime access to runtime state.
type Resolver interface {
	// Attribute returns the runtime property at path of a node instance
	// (found=false if missing).
	Attribute(instanceID string, path []any) (value any, found bool, err error)
	// Secret returns the value of a secret.
	Secret(key string) (string, error)
	// Capability returns a capability of another deployment, walked by path.
	Capability(deploymentID, name string, path []any) (any, error)
}

// EvalContext names the node instances an expression is evaluated for
// ("" when not applicable): Self for node operations, Source and Target for
// relationship operations.
type EvalContext struct{ Self, Source, Target string }

// Errors returned by EvaluateRuntime (wrapped with context).
var (
	ErrFunction          = errors.New("intrinsic function")
	ErrNoInstance        = errors.New("no node instance")
	ErrAmbiguousInstance = errors.New("more than one node instance")
)

const maxRuntimeDepth = 32

// EvaluateRuntime evaluates get_attribute, get_secret, get_capability (and
// get_input, get_property, concat and merge over them) in v, which is not
// modified. get_attribute picks the instance as Cloudify does (spec section
// 4): SELF/SOURCE/TARGET from ec; a named node with one instance; with
// several, the target of the caller's only relationship to that node, else
// the one in the caller's scaling-group instance. A missing runtime
// property falls back to the node's properties, then to nil.
func EvaluateRuntime(p *Plan, v any, ec EvalContext, r Resolver) (res any, err error) {
	defer func() {
		if x := recover(); x != nil {
			res, err = nil, fmt.Errorf("internal error evaluating functions: %v: %w", x, ErrFunction)
		}
	}()
	if p == nil || r == nil {
		return nil, fmt.Errorf("EvaluateRuntime needs a plan and a resolver: %w", ErrFunction)
	}
	rt := &runtimeEval{p: p, ec: ec, r: r, idx: p.lookupIndex()}
	return rt.eval(v, 0)
}

type runtimeEval struct {
	p   *Plan
	ec  EvalContext
	r   Resolver
	idx *planIndex
}

func (rt *runtimeEval) eval(v any, depth int) (any, error) {
	if depth > maxRuntimeDepth {
		return nil, fmt.Errorf("functions nested more than %d deep: %w", maxRuntimeDepth, ErrFunction)
	}
	switch t := v.(type) {
	case map[string]any:
		if isFunctionValue(t) {
			for name, arg := range t {
				res, err := rt.call(name, arg, depth)
				if err != nil {
					return nil, err
				}
				if isFunctionValue(res) {
					return rt.eval(res, depth+1)
				}
				return res, nil
			}
		}
		out := make(map[string]any, len(t))
		for k, x := range t {
			ev, err := rt.eval(x, depth)
			if err != nil {
				return nil, err
			}
			out[k] = ev
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			ev, err := rt.eval(x, depth)
			if err != nil {
				return nil, err
			}
			out[i] = ev
		}
		return out, nil
	}
	return v, nil
}

func (rt *runtimeEval) args(arg any, depth int, name string, min int) ([]any, error) {
	ev, err := rt.eval(arg, depth+1)
	if err != nil {
		return nil, err
	}
	l, ok := ev.([]any)
	if !ok || len(l) < min {
		return nil, fmt.Errorf("%s needs a list of at least %d arguments: %w", name, min, ErrFunction)
	}
	return l, nil
}

// nameAndPath evaluates the argument of get_input / get_secret: a name, or
// [name, key or index, ...].
func (rt *runtimeEval) nameAndPath(arg any, depth int) (any, []any, error) {
	ev, err := rt.eval(arg, depth+1)
	if err != nil {
		return nil, nil, err
	}
	if l, ok := ev.([]any); ok && len(l) > 0 {
		return l[0], l[1:], nil
	}
	return ev, nil, nil
}

func (rt *runtimeEval) call(name string, arg any, depth int) (any, error) {
	switch name {
	case FnGetInput:
		ev, path, err := rt.nameAndPath(arg, depth)
		if err != nil {
			return nil, err
		}
		in, _ := ev.(string)
		val, ok := rt.p.Inputs[in]
		if !ok {
			return nil, fmt.Errorf("get_input: unknown input %q: %w", in, ErrFunction)
		}
		res, err := walkPath(deepCopy(val), path)
		if err != nil {
			return nil, fmt.Errorf("get_input %s: %v: %w", in, err, ErrFunction)
		}
		return res, nil
	case FnGetProperty:
		l, err := rt.args(arg, depth, name, 2)
		if err != nil {
			return nil, err
		}
		node, err := rt.nodeOf(l[0], name)
		if err != nil {
			return nil, err
		}
		res, err := walkPath(node.Properties, l[1:])
		if err != nil {
			return nil, fmt.Errorf("get_property: node %s: %v: %w", node.ID, err, ErrFunction)
		}
		return deepCopy(res), nil
	case FnGetAttribute:
		l, err := rt.args(arg, depth, name, 2)
		if err != nil {
			return nil, err
		}
		inst, err := rt.instanceFor(l[0])
		if err != nil {
			return nil, err
		}
		path := l[1:]
		val, found, err := rt.r.Attribute(inst.ID, path)
		if err != nil {
			return nil, fmt.Errorf("get_attribute %s of %s: %w", joinPath(path), inst.ID, err)
		}
		if found && val != nil {
			return val, nil
		}
		if node := rt.idx.nodes[inst.NodeID]; node != nil {
			if res, err := walkPath(node.Properties, path); err == nil {
				return deepCopy(res), nil
			}
		}
		return nil, nil
	case FnGetSecret:
		ev, path, err := rt.nameAndPath(arg, depth)
		if err != nil {
			return nil, err
		}
		key, ok := ev.(string)
		if !ok || key == "" {
			return nil, fmt.Errorf("get_secret needs a secret name: %w", ErrFunction)
		}
		s, err := rt.r.Secret(key)
		if err != nil {
			return nil, fmt.Errorf("get_secret %s: %w", key, err)
		}
		if len(path) == 0 {
			return s, nil
		}
		var doc any
		if err := json.Unmarshal([]byte(s), &doc); err != nil {
			return nil, fmt.Errorf("get_secret %s: the secret is not JSON, so it has no path: %w", key, ErrFunction)
		}
		res, err := walkPath(doc, path)
		if err != nil {
			return nil, fmt.Errorf("get_secret %s: %v: %w", key, err, ErrFunction)
		}
		return res, nil
	case FnGetCapability:
		l, err := rt.args(arg, depth, name, 2)
		if err != nil {
			return nil, err
		}
		dep, ok1 := l[0].(string)
		capName, ok2 := l[1].(string)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("get_capability needs [deployment id, capability, path...]: %w", ErrFunction)
		}
		res, err := rt.r.Capability(dep, capName, l[2:])
		if err != nil {
			return nil, fmt.Errorf("get_capability %s.%s: %w", dep, capName, err)
		}
		return res, nil
	case FnConcat:
		l, err := rt.args(arg, depth, name, 0)
		if err != nil {
			return nil, err
		}
		var b strings.Builder
		for _, x := range l {
			b.WriteString(toText(x))
		}
		return b.String(), nil
	case FnMerge:
		l, err := rt.args(arg, depth, name, 0)
		if err != nil {
			return nil, err
		}
		out := map[string]any{}
		for i, x := range l {
			m, ok := x.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("merge: argument %d is not a dict: %w", i+1, ErrFunction)
			}
			for k, v := range m {
				out[k] = v
			}
		}
		return out, nil
	}
	if res, ok, err := rt.callModern(name, arg, depth); ok {
		return res, err
	}
	return nil, fmt.Errorf("unknown function %s: %w", name, ErrFunction)
}

func (rt *runtimeEval) contextInstance(ref string) (string, bool) {
	switch ref {
	case "SELF":
		return rt.ec.Self, true
	case "SOURCE":
		return rt.ec.Source, true
	case "TARGET":
		return rt.ec.Target, true
	}
	return "", false
}

func (rt *runtimeEval) nodeOf(refV any, fn string) (*Node, error) {
	ref, _ := refV.(string)
	if id, ok := rt.contextInstance(ref); ok {
		inst := rt.idx.byID[id]
		if inst == nil {
			return nil, fmt.Errorf("%s: %s is not available here: %w", fn, ref, ErrNoInstance)
		}
		ref = inst.NodeID
	}
	n := rt.idx.nodes[ref]
	if n == nil {
		return nil, fmt.Errorf("%s: unknown node %q: %w", fn, ref, ErrFunction)
	}
	return n, nil
}

// instanceFor selects the node instance a get_attribute reference means.
func (rt *runtimeEval) instanceFor(refV any) (*NodeInstance, error) {
	ref, _ := refV.(string)
	if id, ok := rt.contextInstance(ref); ok {
		inst := rt.idx.byID[id]
		if inst == nil {
			return nil, fmt.Errorf("get_attribute: %s is not available here: %w", ref, ErrNoInstance)
		}
		return inst, nil
	}
	cands := rt.idx.byNode[ref]
	switch len(cands) {
	case 0:
		if rt.idx.nodes[ref] == nil {
			return nil, fmt.Errorf("get_attribute: unknown node %q: %w", ref, ErrFunction)
		}
		return nil, fmt.Errorf("get_attribute: node %q: %w", ref, ErrNoInstance)
	case 1:
		return cands[0], nil
	}
	caller := rt.idx.byID[rt.ec.Self]
	if caller == nil {
		caller = rt.idx.byID[rt.ec.Source]
	}
	if caller != nil {
		var target string
		n := 0
		for _, r := range caller.Relationships {
			if r.TargetName == ref {
				target = r.TargetID
				n++
			}
		}
		if n == 1 {
			if inst := rt.idx.byID[target]; inst != nil {
				return inst, nil
			}
		}
		mine := rt.groupInstances(caller)
		if len(mine) > 0 {
			var match *NodeInstance
			count := 0
			for _, c := range cands {
				for g := range rt.groupInstances(c) {
					if mine[g] {
						match = c
						count++
						break
					}
				}
			}
			if count == 1 {
				return match, nil
			}
		}
	}
	return nil, fmt.Errorf("get_attribute: node %q has %d instances and the caller does not single one out: %w", ref, len(cands), ErrAmbiguousInstance)
}

// groupInstances returns the scaling-group instances an instance belongs to,
// directly or through the instances containing it.
func (rt *runtimeEval) groupInstances(inst *NodeInstance) map[string]bool {
	out := map[string]bool{}
	for depth := 0; inst != nil && depth < 1000; depth++ {
		for _, g := range inst.ScalingGroups {
			out[g.Name+"\x00"+g.ID] = true
		}
		var next *NodeInstance
		node := rt.idx.nodes[inst.NodeID]
		for _, r := range inst.Relationships {
			if node != nil && rt.idx.containedIn(node, r.Type) {
				next = rt.idx.byID[r.TargetID]
				break
			}
		}
		inst = next
	}
	return out
}

// planIndex holds lookups for runtime evaluation.
type planIndex struct {
	nNodes, nInst int
	firstInst     *NodeInstance
	lastInst      *NodeInstance
	firstNode     *Node
	nodes         map[string]*Node
	byID          map[string]*NodeInstance
	byNode        map[string][]*NodeInstance
}

func (x *planIndex) containedIn(n *Node, relType string) bool {
	for _, r := range n.Relationships {
		if r.Type == relType {
			return r.IsA(RelContainedIn)
		}
	}
	return false
}

var indexMu sync.Mutex

// lookupIndex returns the plan's index, rebuilding it when the nodes or
// instances changed.
func (p *Plan) lookupIndex() *planIndex {
	indexMu.Lock()
	defer indexMu.Unlock()
	x := p.index
	var firstI, lastI *NodeInstance
	if n := len(p.NodeInstances); n > 0 {
		firstI, lastI = p.NodeInstances[0], p.NodeInstances[n-1]
	}
	var firstN *Node
	if len(p.Nodes) > 0 {
		firstN = p.Nodes[0]
	}
	if x != nil && x.nNodes == len(p.Nodes) && x.nInst == len(p.NodeInstances) && x.firstInst == firstI && x.lastInst == lastI && x.firstNode == firstN {
		return x
	}
	x = &planIndex{nNodes: len(p.Nodes), nInst: len(p.NodeInstances), firstInst: firstI, lastInst: lastI, firstNode: firstN,
		nodes: make(map[string]*Node, len(p.Nodes)), byID: make(map[string]*NodeInstance, len(p.NodeInstances)),
		byNode: make(map[string][]*NodeInstance, len(p.Nodes))}
	for _, n := range p.Nodes {
		x.nodes[n.ID] = n
	}
	for _, i := range p.NodeInstances {
		x.byID[i.ID] = i
		x.byNode[i.NodeID] = append(x.byNode[i.NodeID], i)
	}
	p.index = x
	return x
}

// ResetIndex drops EvaluateRuntime's cached lookups; call it after changing
// NodeInstances in place (same length, same first and last element).
func (p *Plan) ResetIndex() {
	indexMu.Lock()
	p.index = nil
	indexMu.Unlock()
}
