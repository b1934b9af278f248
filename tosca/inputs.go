package tosca

import (
	"fmt"
	"regexp"
	"unicode/utf8"
)

// constraint is one input constraint, e.g. {in_range: [1, 10]}.
type constraint struct {
	op  string
	arg *ynode
	re  *regexp.Regexp
	pos Pos
}

var constraintOps = []string{"equal", "greater_than", "greater_or_equal", "less_than", "less_or_equal", "in_range",
	"valid_values", "length", "min_length", "max_length", "pattern", "filter_id", "labels", "tenants", "name_pattern", "deployment_id"}

func (p *parser) parseConstraints(n *ynode) []*constraint {
	if n.kind == kNull {
		return nil
	}
	if n.kind != kSeq {
		p.add(n.pos, CodeWrongType, fmt.Sprintf("constraints must be a list, found %s", n.kind), "write `constraints: [{valid_values: [a, b]}]`")
		return nil
	}
	var out []*constraint
	for _, it := range n.items {
		if it.kind != kMap || len(it.keys) != 1 {
			p.add(it.pos, CodeInvalidValue, "each constraint must be a dict with one operator", "e.g. `- min_length: 3`")
			continue
		}
		c := &constraint{op: it.keys[0].keyStr(), arg: it.vals[0], pos: it.keys[0].pos}
		bad := func(want string) {
			p.add(c.arg.pos, CodeInvalidValue, fmt.Sprintf("constraint %s takes %s", c.op, want), "")
		}
		switch c.op {
		case "equal":
		case "greater_than", "greater_or_equal", "less_than", "less_or_equal":
			if !isNumber(c.arg) && c.arg.kind != kString {
				bad("a number or a string")
				continue
			}
		case "in_range":
			if c.arg.kind != kSeq || len(c.arg.items) != 2 || !isNumber(c.arg.items[0]) || !isNumber(c.arg.items[1]) {
				bad("a list of two numbers")
				continue
			}
		case "valid_values":
			if c.arg.kind != kSeq {
				bad("a list")
				continue
			}
		case "length", "min_length", "max_length":
			if c.arg.kind != kInt || c.arg.val.(int) < 0 {
				bad("an integer >= 0")
				continue
			}
		case "pattern":
			s, ok := c.arg.str()
			if !ok {
				bad("a regular expression string")
				continue
			}
			re, err := regexp.Compile("^(?:" + s + ")$")
			if err != nil {
				p.add(c.arg.pos, CodeInvalidValue, fmt.Sprintf("constraint pattern is not a valid regular expression: %v", err), "")
				continue
			}
			c.re = re
		case "filter_id", "labels", "tenants", "name_pattern", "deployment_id":
			if !p.checkDataConstraint(c) {
				continue
			}
		default:
			p.add(c.pos, CodeUnknownKey, fmt.Sprintf("'%s' is not a constraint operator", c.op), orDefault(suggest(c.op, constraintOps), "operators: "+allowedList(constraintOps)))
			continue
		}
		out = append(out, c)
	}
	return out
}

func orDefault(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

func isNumber(n *ynode) bool { return n != nil && (n.kind == kInt || n.kind == kFloat) }

func toFloat(v any) (float64, bool) {
	switch t := v.(type) {
	case int:
		return float64(t), true
	case int64:
		return float64(t), true
	case float64:
		return t, true
	}
	return 0, false
}

func lengthOf(v any) (int, bool) {
	switch t := v.(type) {
	case string:
		return utf8.RuneCountInString(t), true
	case []any:
		return len(t), true
	case map[string]any:
		return len(t), true
	}
	return 0, false
}

// compare orders two numbers or two strings.
func compare(a, b any) (int, bool) {
	if fa, ok := toFloat(a); ok {
		if fb, ok := toFloat(b); ok {
			switch {
			case fa < fb:
				return -1, true
			case fa > fb:
				return 1, true
			}
			return 0, true
		}
		return 0, false
	}
	if sa, ok := a.(string); ok {
		if sb, ok := b.(string); ok {
			switch {
			case sa < sb:
				return -1, true
			case sa > sb:
				return 1, true
			}
			return 0, true
		}
	}
	return 0, false
}

// check returns a description of the violation, or "".
func (c *constraint) check(v any) string {
	arg := c.arg.plain()
	switch c.op {
	case "equal":
		if !plainEqual(v, arg) {
			return fmt.Sprintf("must equal %v", arg)
		}
	case "greater_than", "greater_or_equal", "less_than", "less_or_equal":
		r, ok := compare(v, arg)
		if !ok {
			return fmt.Sprintf("cannot be compared with %v", arg)
		}
		switch {
		case c.op == "greater_than" && r <= 0:
			return fmt.Sprintf("must be greater than %v", arg)
		case c.op == "greater_or_equal" && r < 0:
			return fmt.Sprintf("must be greater than or equal to %v", arg)
		case c.op == "less_than" && r >= 0:
			return fmt.Sprintf("must be less than %v", arg)
		case c.op == "less_or_equal" && r > 0:
			return fmt.Sprintf("must be less than or equal to %v", arg)
		}
	case "in_range":
		lst := arg.([]any)
		lo, _ := compare(v, lst[0])
		hi, ok := compare(v, lst[1])
		if !ok || lo < 0 || hi > 0 {
			return fmt.Sprintf("must be in the range [%v, %v]", lst[0], lst[1])
		}
	case "valid_values":
		for _, a := range arg.([]any) {
			if plainEqual(v, a) {
				return ""
			}
		}
		return fmt.Sprintf("must be one of %v", arg)
	case "length", "min_length", "max_length":
		n, ok := lengthOf(v)
		want := arg.(int)
		if !ok {
			return "has no length"
		}
		switch {
		case c.op == "length" && n != want:
			return fmt.Sprintf("must have length %d", want)
		case c.op == "min_length" && n < want:
			return fmt.Sprintf("must have length of at least %d", want)
		case c.op == "max_length" && n > want:
			return fmt.Sprintf("must have length of at most %d", want)
		}
	case "pattern":
		s, ok := v.(string)
		if !ok || !c.re.MatchString(s) {
			return fmt.Sprintf("must match the pattern %q", c.arg.val)
		}
	}
	return ""
}

// plainEqual compares plain values, treating ints and floats numerically.
func plainEqual(a, b any) bool {
	if fa, ok := toFloat(a); ok {
		fb, ok := toFloat(b)
		return ok && fa == fb
	}
	switch ta := a.(type) {
	case []any:
		tb, ok := b.([]any)
		if !ok || len(ta) != len(tb) {
			return false
		}
		for i := range ta {
			if !plainEqual(ta[i], tb[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		tb, ok := b.(map[string]any)
		if !ok || len(ta) != len(tb) {
			return false
		}
		for k, va := range ta {
			vb, ok := tb[k]
			if !ok || !plainEqual(va, vb) {
				return false
			}
		}
		return true
	}
	return a == b
}

var inputKeys = keys{"description": v1_0, "type": v1_0, "default": v1_0, "required": v1_2, "constraints": v1_0,
	"display_label": v1_0, "hidden": v1_0, "item_type": v1_4, "display": v1_4}

func (p *parser) parseInputs(sec *ynode) {
	s := &schema{}
	p.entries(sec, "inputs", func(name string, k, v *ynode) {
		what := fmt.Sprintf("input '%s'", name)
		ps := &propSchema{name: name, required: true, pos: k.pos}
		if v.kind != kNull {
			if !p.isMap(v, what, false) {
				return
			}
			p.strict(v, what, inputKeys)
			ps.desc, _ = p.str(v.get("description"), what+" description")
			ps.typ, _ = p.str(v.get("type"), what+" type")
			if v.keyNode("default") != nil {
				ps.def = v.get("default")
			}
			ps.required = p.boolean(v.get("required"), what+" required", true)
			if c := v.get("constraints"); c != nil {
				ps.constraints = p.parseConstraints(c)
			}
			p.str(v.get("display_label"), what+" display_label")
			ps.itemType = p.checkItemType(v, ps.typ, what)
			p.boolean(v.get("hidden"), what+" hidden", false)
		}
		s.put(ps)
	})
	p.checkSchemaTypes(s, "input", nil, false)
	p.gateInputTypes(s, "input")
	for _, name := range s.order {
		ps := s.props[name]
		if ps.def == nil || ps.def.kind == kNull || isFunction(ps.def) {
			continue
		}
		v := ps.def.plain()
		for _, c := range ps.constraints {
			if msg := c.checkFor(ps, v); msg != "" {
				p.add(ps.def.pos, CodeInputConstraint, fmt.Sprintf("default of input '%s' %s", name, msg), "")
			}
		}
	}
	p.bp.inputs = s
}

// InputDefs returns the declared inputs.
func (b *Blueprint) InputDefs() map[string]*PropertyDef {
	out := make(map[string]*PropertyDef, len(b.inputs.order))
	for _, n := range b.inputs.order {
		out[n] = b.inputs.props[n].def2()
	}
	return out
}

// checkInputValue type-checks a supplied input value against its schema.
func (p *parser) checkInputValue(ps *propSchema, v any, at Pos) (any, bool) {
	ok := true
	if text, isText := v.(string); isText {
		cv, good := p.textAs(text, ps, at)
		if !good {
			return v, false
		}
		v = cv
	}
	if ps.typ != "" && !isFunctionValue(v) {
		n := fromPlain(v, at)
		before := len(p.probs)
		c, good := p.coerce(n, ps.typ, fmt.Sprintf("input '%s'", ps.name))
		if !good {
			for i := before; i < len(p.probs); i++ {
				if p.probs[i].Code == CodePropertyType {
					p.probs[i].Code = CodeInputType
				}
			}
			ok = false
		} else {
			v = c.plain()
		}
	}
	if ok && v != nil {
		for _, c := range ps.constraints {
			if msg := c.checkFor(ps, v); msg != "" {
				p.add(at, CodeInputConstraint, fmt.Sprintf("input '%s' %s", ps.name, msg), "")
				ok = false
			}
		}
	}
	return v, ok
}

// textAs converts text given for an input declared integer, float or
// boolean (e.g. `-i port=8080` kept as text) to that type when the text is
// such a YAML literal; other text, and text for other types, is kept.
// Infinity and NaN are refused.
func (p *parser) textAs(text string, ps *propSchema, at Pos) (any, bool) {
	var want nkind
	switch ps.typ {
	case "integer":
		want = kInt
	case "float":
		want = kFloat
	case "boolean":
		want = kBool
	default:
		return text, true
	}
	n, probs := decodeYAML("input", []byte(text), DefaultMaxFileSize)
	if probs.Has(CodeNonFinite) {
		p.add(at, CodeInputType, fmt.Sprintf("input '%s' is %q: infinity and NaN are not supported (Gantry keeps values as JSON)", ps.name, text),
			"give a finite number")
		return text, false
	}
	if n == nil || len(probs) > 0 {
		return text, true
	}
	if n.kind == want || (want == kFloat && n.kind == kInt) {
		return n.val, true
	}
	return text, true
}
