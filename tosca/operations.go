package tosca

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// opDef is an operation as written in a type or a template.
type opDef struct {
	impl          string
	hasImpl       bool // an implementation was given (possibly empty)
	noop          bool
	inputs        *ynode  // template: value mapping
	schema        *schema // type: input schema
	executor      string
	maxRetries    *int
	retryInterval *float64
	timeout       *float64
	pos           Pos
}

// ifaces maps interface name -> operation name -> operation.
type ifaces map[string]map[string]*opDef

// inherit returns the union of parent and c; an operation c declares
// replaces the parent's operation entirely.
func (c ifaces) inherit(parent ifaces) ifaces {
	out := ifaces{}
	for in, ops := range parent {
		m := make(map[string]*opDef, len(ops))
		for on, op := range ops {
			m[on] = op
		}
		out[in] = m
	}
	for in, ops := range c {
		m := out[in]
		if m == nil {
			m = make(map[string]*opDef, len(ops))
			out[in] = m
		}
		for on, op := range ops {
			m[on] = op
		}
	}
	return out
}

var opKeys = keys{"implementation": v1_0, "inputs": v1_0, "executor": v1_0, "max_retries": v1_1, "retry_interval": v1_1, "timeout": v1_0}

func (p *parser) parseInterfaces(n *ynode, what string, isType bool) ifaces {
	if n == nil || n.kind == kNull {
		return nil
	}
	out := ifaces{}
	p.entries(n, what+" interfaces", func(iname string, k, v *ynode) {
		ops := map[string]*opDef{}
		out[iname] = ops
		p.entries(v, fmt.Sprintf("interface '%s' of %s", iname, what), func(oname string, ok, ov *ynode) {
			ops[oname] = p.parseOperation(ov, fmt.Sprintf("operation '%s.%s' of %s", iname, oname, what), isType)
		})
	})
	return out
}

func (p *parser) parseOperation(n *ynode, what string, isType bool) *opDef {
	op := &opDef{pos: n.pos}
	switch n.kind {
	case kNull:
		op.noop, op.hasImpl = true, true
		return op
	case kString:
		op.impl = strings.TrimSpace(n.val.(string))
		op.hasImpl = true
		op.noop = op.impl == ""
		return op
	case kMap:
	default:
		p.add(n.pos, CodeWrongType, fmt.Sprintf("%s must be a string or a dict, found %s", what, n.kind), "write `op: plugin.module.function`, a script path, or `{implementation: ..., inputs: ...}`")
		op.noop, op.hasImpl = true, true
		return op
	}
	p.strict(n, what, opKeys)
	if len(n.keys) == 0 {
		op.noop, op.hasImpl = true, true
		return op
	}
	if impl := n.get("implementation"); impl != nil {
		s, _ := p.str(impl, what+" implementation")
		op.impl = strings.TrimSpace(s)
		op.hasImpl = true
	}
	if isType {
		op.schema = p.parseSchema(n.get("inputs"), what+" input", false)
		p.checkSchemaTypes(op.schema, what+" input", nil, false)
		if op.impl == "" {
			op.noop, op.hasImpl = true, true
		}
	} else if in := n.get("inputs"); in != nil && in.kind != kNull {
		if p.isMap(in, what+" inputs", true) {
			op.inputs = in
		}
	}
	if ex := n.get("executor"); ex != nil {
		s, ok := p.str(ex, what+" executor")
		if ok && s != ExecutorCentral && s != ExecutorHost {
			p.add(ex.pos, CodeInvalidValue, fmt.Sprintf("%s executor must be %s or %s, not '%s'", what, ExecutorCentral, ExecutorHost, s), suggest(s, []string{ExecutorCentral, ExecutorHost}))
		} else {
			op.executor = s
		}
	}
	if mr := n.get("max_retries"); mr != nil && mr.kind != kNull {
		if mr.kind != kInt || mr.val.(int) < -1 {
			p.add(mr.pos, CodeInvalidValue, fmt.Sprintf("%s max_retries must be an integer >= -1", what), "-1 retries forever")
		} else {
			v := mr.val.(int)
			op.maxRetries = &v
		}
	}
	op.retryInterval = p.nonNegNumber(n.get("retry_interval"), what+" retry_interval")
	op.timeout = p.nonNegNumber(n.get("timeout"), what+" timeout")
	return op
}

func (p *parser) nonNegNumber(n *ynode, what string) *float64 {
	if n == nil || n.kind == kNull {
		return nil
	}
	var f float64
	switch n.kind {
	case kInt:
		f = float64(n.val.(int))
	case kFloat:
		f = n.val.(float64)
	default:
		p.add(n.pos, CodeInvalidValue, fmt.Sprintf("%s must be a number >= 0, found %s", what, n.kind), "")
		return nil
	}
	if f < 0 {
		p.add(n.pos, CodeInvalidValue, fmt.Sprintf("%s must be a number >= 0", what), "")
		return nil
	}
	return &f
}

// effOp is an operation after the template/type merge, before mapping.
type effOp struct {
	impl          string
	noop          bool
	inputs        *ynode // mapping of input values (may hold functions)
	executor      string
	maxRetries    *int
	retryInterval *float64
	timeout       *float64
	pos           Pos
}

// schemaDefaults flattens an input schema to its defaults; a required input
// without a default is a problem.
func (p *parser) schemaDefaults(s *schema, at Pos, what string) *ynode {
	out := &ynode{kind: kMap, pos: at}
	if s == nil {
		return out
	}
	for _, name := range s.order {
		ps := s.props[name]
		if ps.def != nil {
			out.keys = append(out.keys, ps.keyNode())
			out.vals = append(out.vals, ps.def)
		} else if ps.required {
			p.add(at, CodePropertyRequired, fmt.Sprintf("%s needs a value for input '%s', which has no default", what, name),
				fmt.Sprintf("set `inputs: {%s: ...}` on the operation in the node template", name))
		}
	}
	return out
}

// overlayInputs merges template inputs over type input defaults, checking
// them against the type's input schema.
func (p *parser) overlayInputs(s *schema, given *ynode, at Pos, what string) *ynode {
	if s == nil || len(s.order) == 0 {
		if given == nil {
			return &ynode{kind: kMap, pos: at}
		}
		return given
	}
	merged, _ := p.mergeProps(s, given, at, what, nil)
	return merged
}

// mergeOp merges a template operation over a type operation (spec 3.2).
func (p *parser) mergeOp(typeOp, tmplOp *opDef, at Pos, what string) *effOp {
	switch {
	case tmplOp == nil:
		if typeOp.noop {
			return &effOp{noop: true, pos: typeOp.pos}
		}
		return &effOp{impl: typeOp.impl, inputs: p.schemaDefaults(typeOp.schema, at, what), executor: typeOp.executor,
			maxRetries: typeOp.maxRetries, retryInterval: typeOp.retryInterval, timeout: typeOp.timeout, pos: typeOp.pos}
	case typeOp == nil:
		if tmplOp.noop {
			return &effOp{noop: true, pos: tmplOp.pos}
		}
		return &effOp{impl: tmplOp.impl, inputs: orEmpty(tmplOp.inputs, tmplOp.pos), executor: tmplOp.executor,
			maxRetries: tmplOp.maxRetries, retryInterval: tmplOp.retryInterval, timeout: tmplOp.timeout, pos: tmplOp.pos}
	case tmplOp.hasImpl && tmplOp.noop:
		return &effOp{noop: true, pos: tmplOp.pos}
	case !tmplOp.hasImpl || tmplOp.impl == typeOp.impl:
		if typeOp.noop {
			return &effOp{noop: true, pos: tmplOp.pos}
		}
		e := &effOp{impl: typeOp.impl, inputs: p.overlayInputs(typeOp.schema, tmplOp.inputs, tmplOp.pos, what),
			executor: typeOp.executor, maxRetries: typeOp.maxRetries, retryInterval: typeOp.retryInterval, timeout: typeOp.timeout, pos: tmplOp.pos}
		if tmplOp.executor != "" {
			e.executor = tmplOp.executor
		}
		if tmplOp.maxRetries != nil {
			e.maxRetries = tmplOp.maxRetries
		}
		if tmplOp.retryInterval != nil {
			e.retryInterval = tmplOp.retryInterval
		}
		if tmplOp.timeout != nil {
			e.timeout = tmplOp.timeout
		}
		return e
	default:
		return &effOp{impl: tmplOp.impl, inputs: orEmpty(tmplOp.inputs, tmplOp.pos), executor: tmplOp.executor,
			maxRetries: tmplOp.maxRetries, retryInterval: tmplOp.retryInterval, timeout: tmplOp.timeout, pos: tmplOp.pos}
	}
}

func orEmpty(n *ynode, at Pos) *ynode {
	if n == nil {
		return &ynode{kind: kMap, pos: at}
	}
	return n
}

// opSet is the mapped operations of a node or relationship side, keyed
// "iface.op". Sets of templates that override nothing are shared by every
// template of the type.
type opSet struct {
	ops   map[string]*mappedOp
	names []string // sorted keys of operations that are not NO-OPs
	// static is the evaluated operations when no input holds a function;
	// it is then shared by every node using the set.
	static map[string]*Operation
	// funcState: 0 not computed, 1 some input holds a function, 2 none
	funcState uint8
}

// hasFunctions reports whether any operation input holds a function.
func (s *opSet) hasFunctions() bool {
	if s == nil {
		return false
	}
	if s.funcState == 0 {
		s.funcState = 2
		for _, n := range s.names {
			if hasFunctionNode(s.ops[n].inputs) {
				s.funcState = 1
				break
			}
		}
	}
	return s.funcState == 1
}

func hasFunctionNode(n *ynode) bool {
	if n == nil {
		return false
	}
	switch n.kind {
	case kMap:
		if isFunction(n) {
			return true
		}
		for _, v := range n.vals {
			if hasFunctionNode(v) {
				return true
			}
		}
	case kSeq:
		for _, v := range n.items {
			if hasFunctionNode(v) {
				return true
			}
		}
	}
	return false
}

func (s *opSet) active() []string {
	if s == nil {
		return nil
	}
	return s.names
}

// mergeIfaces merges template interfaces over type interfaces and maps
// every operation. When the template overrides nothing, the type's cached
// set is used.
func (p *parser) mergeIfaces(typ, tmpl ifaces, at Pos, what, kind string, cache **opSet) *opSet {
	shared := len(tmpl) == 0 && cache != nil
	if shared && *cache != nil {
		return *cache
	}
	out := map[string]*mappedOp{}
	for _, in := range sortedKeys(typ) {
		for _, on := range sortedKeys(typ[in]) {
			full := in + "." + on
			w := "operation '" + full + "' of " + what
			out[full] = p.mapOp(p.mergeOp(typ[in][on], tmpl[in][on], at, w), w, kind)
			out[full].short = on
		}
	}
	for _, in := range sortedKeys(tmpl) {
		for _, on := range sortedKeys(tmpl[in]) {
			full := in + "." + on
			if _, done := out[full]; done {
				continue
			}
			w := "operation '" + full + "' of " + what
			out[full] = p.mapOp(p.mergeOp(nil, tmpl[in][on], at, w), w, kind)
			out[full].short = on
		}
	}
	set := &opSet{ops: out}
	for _, n := range sortedKeys(out) {
		if !out[n].op.IsNoop() {
			set.names = append(set.names, n)
		}
	}
	if shared {
		*cache = set
	}
	return set
}

// mappedOp is an operation mapped to a plugin, with inputs not yet evaluated.
type mappedOp struct {
	op     Operation // Inputs left nil until Prepare
	inputs *ynode
	pos    Pos
	short  string // operation name without the interface
	// executorGiven: the operation names its executor (else the plugin's)
	executorGiven bool
}

// mapOp maps an implementation to (plugin, operation) (spec 3.1).
func (p *parser) mapOp(e *effOp, what, kind string) *mappedOp {
	m := &mappedOp{pos: e.pos, inputs: e.inputs}
	if e.noop || e.impl == "" {
		m.inputs = nil
		return m
	}
	m.op.Implementation = e.impl
	m.op.MaxRetries, m.op.RetryInterval, m.op.Timeout = e.maxRetries, e.retryInterval, e.timeout
	var plugin *Plugin
	candidates := 0
	for i := 0; i < len(e.impl); i++ {
		if e.impl[i] != '.' {
			continue
		}
		if pl := p.bp.plugins[e.impl[:i]]; pl != nil {
			candidates++
			if plugin == nil {
				plugin = pl
				m.op.Plugin, m.op.Operation = pl.Name, e.impl[i+1:]
			}
		}
	}
	switch {
	case candidates > 1:
		p.add(e.pos, CodeOpAmbiguous, fmt.Sprintf("%s: '%s' matches more than one plugin name", what, e.impl), "rename one of the plugins")
	case candidates == 1:
	case p.storedScript(e, &m.op):
		if plugin = p.mapScript(e, m, what, kind); plugin == nil {
			return m
		}
	case p.scriptOutside(e.impl):
		p.add(e.pos, CodeOpScriptOutside, fmt.Sprintf("%s: the script '%s' is outside the blueprint's folder", what, e.impl),
			"Gantry stores and runs only the files of the blueprint's folder: copy the script into it and name it relative to the main file")
		return m
	case p.scriptExists(e.impl):
		m.op.ScriptPath = filepath.ToSlash(e.impl)
		if plugin = p.mapScript(e, m, what, kind); plugin == nil {
			return m
		}
	case kind == "workflow" && isInlineOrURLMapping(e.impl):
		if !p.inlineWorkflow(e, m, what) {
			return m
		}
		plugin = p.bp.plugins[PluginScript]
	default:
		hint := fmt.Sprintf("declare a plugin whose name prefixes it, or put the script at %s", filepath.Join(p.bp.dispDir, filepath.FromSlash(e.impl)))
		if s := suggest(firstPart(e.impl), sortedKeys(p.bp.plugins)); s != "" {
			hint = s
		}
		p.add(e.pos, CodeOpUnmapped, fmt.Sprintf("%s: '%s' is neither an operation of a declared plugin nor a script file", what, e.impl), hint)
		return m
	}
	m.op.Executor = e.executor
	m.executorGiven = e.executor != ""
	if m.op.Executor == "" && plugin != nil {
		m.op.Executor = plugin.Executor
	}
	return m
}

// mapScript maps m to the script plugin running m.op.ScriptPath (a file
// of the blueprint's folder, or of a stored blueprint: storedScript) and
// returns the plugin, or nil (a problem) when none is declared.
func (p *parser) mapScript(e *effOp, m *mappedOp, what, kind string) *Plugin {
	script := p.bp.plugins[PluginScript]
	if script == nil {
		p.add(e.pos, CodeOpScriptPlugin, fmt.Sprintf("%s maps to the script '%s' but no 'script' plugin is declared", what, e.impl),
			"import Cloudify's types.yaml, which declares the script plugin")
		return nil
	}
	if e.inputs != nil && e.inputs.get("script_path") != nil {
		p.add(e.inputs.keyNode("script_path").pos, CodeOpScriptPath, fmt.Sprintf("%s: 'script_path' cannot be an input of an operation implemented by a script", what),
			"remove the script_path input; the implementation is the script")
	}
	m.op.Plugin, m.op.Operation = PluginScript, OpScriptRun
	if kind == "workflow" {
		m.op.Operation = OpScriptRunWorkflow
	}
	in := &ynode{kind: kMap, pos: e.pos}
	if e.inputs != nil {
		in.keys = append(in.keys, e.inputs.keys...)
		in.vals = append(in.vals, e.inputs.vals...)
	}
	in.keys = append(in.keys, &ynode{kind: kString, val: "script_path", pos: e.pos})
	in.vals = append(in.vals, &ynode{kind: kString, val: m.op.ScriptPath, pos: e.pos})
	m.inputs = in
	return script
}

// storedScript reports whether e, written in a file of a stored
// blueprint (an `NS--blueprint:ID` import), names a script of that
// blueprint's folder; if so op's implementation and script path become
// NS--path, and the namespace is recorded in NamespacesMapping.
func (p *parser) storedScript(e *effOp, op *Operation) bool {
	o := p.stored[e.pos.File]
	if o == nil || strings.Contains(e.impl, "://") || !o.holds(e.impl) {
		return false
	}
	op.Implementation = o.namespacedPath(filepath.ToSlash(e.impl))
	op.ScriptPath = op.Implementation
	if p.bp.NamespacesMapping == nil {
		p.bp.NamespacesMapping = map[string]string{}
	}
	p.bp.NamespacesMapping[o.ns] = o.id
	return true
}

// storedFile reports whether path, as storedScript names one (NS--path),
// is a file of the stored blueprint imported under NS.
func (p *parser) storedFile(path string) bool {
	for _, o := range p.stored {
		if rel, ok := strings.CutPrefix(path, o.ns+NamespaceDelimiter); ok && o.holds(rel) {
			return true
		}
	}
	return false
}

func firstPart(s string) string {
	if i := strings.IndexByte(s, '.'); i > 0 {
		return s[:i]
	}
	return s
}

// scriptOutside reports whether impl names a file path outside the
// blueprint folder: absolute, climbing out with "..", or a symbolic link
// that leads out.
// The answer is cached per implementation string.
func (p *parser) scriptOutside(impl string) bool {
	if strings.Contains(impl, "://") || p.bp.Dir == "" {
		return false
	}
	path := filepath.FromSlash(impl)
	if filepath.IsAbs(path) || !filepath.IsLocal(path) {
		return true
	}
	if out, ok := p.outside[impl]; ok {
		return out
	}
	out := !within(p.bp.Dir, filepath.Join(p.bp.Dir, path))
	if p.outside == nil {
		p.outside = map[string]bool{}
	}
	p.outside[impl] = out
	return out
}

// scriptExists reports whether impl names a file relative to the blueprint
// folder (cached).
func (p *parser) scriptExists(impl string) bool {
	if ok, found := p.fileOK[impl]; found {
		return ok
	}
	ok := false
	if !strings.Contains(impl, "://") && p.bp.Dir != "" {
		path := filepath.FromSlash(impl)
		if !filepath.IsAbs(path) {
			path = filepath.Join(p.bp.Dir, path)
		}
		if st, err := os.Stat(path); err == nil && !st.IsDir() {
			ok = true
		}
	}
	p.fileOK[impl] = ok
	return ok
}
