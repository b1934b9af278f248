package tosca

import (
	"fmt"
	"strings"
)

// The intrinsic functions Cloudify 6.x adds. The string functions are
// evaluated where Cloudify evaluates them: at Prepare when their arguments
// are known then, else while workflows run (EvaluateRuntime). The
// functions that read the manager's own records (get_sys, get_label,
// get_group_capability, get_environment_capability, get_consumers) are
// accepted when a blueprint is checked for planning; a blueprint checked
// for install (Options.Runtime set) that uses one is refused with a
// positioned problem, since Gantry does not evaluate them yet: they are
// never passed through unevaluated.
const (
	FnStringFind               = "string_find"
	FnStringReplace            = "string_replace"
	FnStringSplit              = "string_split"
	FnStringLower              = "string_lower"
	FnStringUpper              = "string_upper"
	FnGetSys                   = "get_sys"
	FnGetLabel                 = "get_label"
	FnGetAttributesList        = "get_attributes_list"
	FnGetAttributesDict        = "get_attributes_dict"
	FnGetGroupCapability       = "get_group_capability"
	FnGetEnvironmentCapability = "get_environment_capability"
	FnGetConsumers             = "get_consumers"
)

// stringFunctions take a list of arguments (one string for lower/upper)
// and give a value computed from them alone.
var stringFunctions = map[string]bool{FnStringFind: true, FnStringReplace: true, FnStringSplit: true,
	FnStringLower: true, FnStringUpper: true}

// managerFunctions read the manager's records; Gantry does not evaluate
// them (see above).
var managerFunctions = map[string]bool{FnGetSys: true, FnGetLabel: true, FnGetGroupCapability: true,
	FnGetEnvironmentCapability: true, FnGetConsumers: true}

// checkModernFunction checks the arguments of a Cloudify 6.x function.
func (p *parser) checkModernFunction(n *ynode, sc *funcScope) {
	name := fnName(n)
	arg := n.vals[0]
	what := name + " in " + sc.desc()
	bad := func(want string) {
		p.add(arg.pos, CodeFuncArgs, fmt.Sprintf("%s: arguments must be %s", what, want), "")
	}
	switch {
	case name == FnStringLower || name == FnStringUpper:
		if arg.kind == kMap && !isFunction(arg) || arg.kind == kSeq && len(arg.items) != 1 {
			bad("a string (or a one-item list)")
		}
	case stringFunctions[name]:
		min, max := 2, 2
		switch name {
		case FnStringReplace:
			min, max = 3, 4
		case FnStringSplit:
			min, max = 2, 3
		}
		if arg.kind != kSeq || len(arg.items) < min || len(arg.items) > max {
			bad(fmt.Sprintf("a list of %d to %d items", min, max))
		}
	case name == FnGetAttributesList || name == FnGetAttributesDict:
		if arg.kind != kSeq || len(arg.items) < 2 {
			bad("a list: [node name, attribute name, ...]")
			return
		}
		if ref, ok := arg.items[0].str(); ok && p.bp.tmplIdx[ref] == nil {
			p.add(arg.items[0].pos, CodeFuncNode, fmt.Sprintf("%s refers to node '%s', which does not exist", what, ref),
				suggest(ref, sortedKeys(p.bp.tmplIdx)))
		}
	case name == FnGetSys:
		if arg.kind != kSeq || len(arg.items) != 2 {
			bad("[deployment|tenant, property], e.g. [deployment, id]")
		}
	}
	if managerFunctions[name] && p.opts.Runtime != nil {
		p.add(n.keys[0].pos, CodeFuncUnsupported, fmt.Sprintf("%s: Gantry does not evaluate %s yet", what, name),
			"it reads a Cloudify manager's records: replace it with an input, or validate without installing (blueprints validate/plan)")
	}
}

// evalStringFunction evaluates a string function over evaluated
// arguments. ok is false when an argument is not known yet (a function).
func evalStringFunction(name string, arg any) (res any, ok bool, err error) {
	var args []any
	if l, isList := arg.([]any); isList {
		args = l
	} else {
		args = []any{arg}
	}
	if anyFunction(args) {
		return nil, false, nil
	}
	text := func(i int) string { return toText(args[i]) }
	switch name {
	case FnStringLower:
		return strings.ToLower(text(0)), true, nil
	case FnStringUpper:
		return strings.ToUpper(text(0)), true, nil
	case FnStringFind:
		if len(args) != 2 {
			break
		}
		return strings.Index(text(0), text(1)), true, nil
	case FnStringReplace:
		if len(args) < 3 || len(args) > 4 {
			break
		}
		count := -1
		if len(args) == 4 {
			n, isInt := args[3].(int)
			if !isInt {
				return nil, true, fmt.Errorf("%s: the count must be an integer: %w", name, ErrFunction)
			}
			count = n
		}
		return strings.Replace(text(0), text(1), text(2), count), true, nil
	case FnStringSplit:
		if len(args) < 2 || len(args) > 3 {
			break
		}
		parts := strings.Split(text(0), text(1))
		if len(args) == 3 {
			i, isInt := args[2].(int)
			if !isInt || i < 0 || i >= len(parts) {
				return nil, true, fmt.Errorf("%s: index %v out of range (%d parts): %w", name, args[2], len(parts), ErrFunction)
			}
			return parts[i], true, nil
		}
		out := make([]any, len(parts))
		for i, s := range parts {
			out[i] = s
		}
		return out, true, nil
	}
	return nil, true, fmt.Errorf("%s: wrong number of arguments: %w", name, ErrFunction)
}

// evalModernFn is evalFn for the Cloudify 6.x functions at Prepare.
func (e *evaluator) evalModernFn(name string, argN *ynode, sc *funcScope) any {
	arg := e.eval(argN, sc)
	if stringFunctions[name] {
		res, ok, err := evalStringFunction(name, arg)
		if err != nil {
			e.p.add(argN.pos, CodeFuncEval, err.Error(), "")
			return nil
		}
		if ok {
			return res
		}
	}
	return map[string]any{name: arg}
}

// callModern is runtimeEval.call for the Cloudify 6.x functions; ok is
// false for a name it does not know.
func (rt *runtimeEval) callModern(name string, arg any, depth int) (res any, ok bool, err error) {
	switch {
	case stringFunctions[name]:
		ev, err := rt.eval(arg, depth+1)
		if err != nil {
			return nil, true, err
		}
		res, known, err := evalStringFunction(name, ev)
		if err == nil && !known {
			err = fmt.Errorf("%s: an argument could not be evaluated: %w", name, ErrFunction)
		}
		return res, true, err
	case name == FnGetAttributesList || name == FnGetAttributesDict:
		l, err := rt.args(arg, depth, name, 2)
		if err != nil {
			return nil, true, err
		}
		ref, _ := l[0].(string)
		if rt.idx.nodes[ref] == nil {
			return nil, true, fmt.Errorf("%s: unknown node %q: %w", name, ref, ErrFunction)
		}
		list := make([]any, 0, len(rt.idx.byNode[ref]))
		dict := make(map[string]any, len(rt.idx.byNode[ref]))
		for _, inst := range rt.idx.byNode[ref] {
			v, found, err := rt.r.Attribute(inst.ID, l[1:])
			if err != nil {
				return nil, true, err
			}
			if !found {
				v = nil
			}
			list = append(list, v)
			dict[inst.ID] = v
		}
		if name == FnGetAttributesDict {
			return dict, true, nil
		}
		return list, true, nil
	case managerFunctions[name]:
		return nil, true, fmt.Errorf("%s is not evaluated by Gantry (it reads a Cloudify manager's records): %w", name, ErrFunction)
	}
	return nil, false, nil
}
