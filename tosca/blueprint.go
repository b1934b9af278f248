package tosca

import (
	"fmt"
	"maps"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
)

// Options tune Parse.
type Options struct {
	// ImportRules map http(s) import URLs to local folders; they are tried
	// in order before the built-in mapping of Cloudify's types URLs.
	ImportRules []ImportRule
	// ResourcesDir is a manager-style resources folder (ResourcesDir/
	// cloudify/types/types[_1_N].yaml, ResourcesDir/spec/): imports of
	// cloudify/types/types.yaml read it instead of Gantry's built-in types.
	ResourcesDir string
	// PluginsDir is a plugin catalog laid out as PluginsDir/NAME/VERSION/
	// plugin[_1_N].yaml: `plugin:NAME` imports that are not Gantry plugins
	// read it (see imports_plugin.go).
	PluginsDir string
	// MaxFileSize is the largest file accepted, in bytes (0: DefaultMaxFileSize).
	MaxFileSize int64
	// MaxFiles bounds the number of files a blueprint may import (0: 1000).
	MaxFiles int
	// MaxInstances bounds the node instances a deployment of the blueprint
	// may have (0: InstanceLimit's default). Parse checks it with the
	// counts known before inputs, Prepare with the evaluated ones.
	MaxInstances int
	// Runtime, when set, makes what it cannot run a problem: operations
	// mapped to plugins or operations it lacks, workflows it does not
	// build, `plugin:NAME` imports without a runtime (see checkRunnable).
	// Commands and the manager pass GantryRuntime; without it Parse checks
	// the language only (as the conformance tests compare with Cloudify).
	Runtime *Runtime
	// Blueprints resolves `NS--blueprint:ID` imports from the caller's
	// blueprint store (the manager's); nil makes them a problem.
	Blueprints BlueprintResolver
}

func (o Options) maxFileSize() int64 {
	if o.MaxFileSize > 0 {
		return o.MaxFileSize
	}
	return DefaultMaxFileSize
}

func (o Options) maxFiles() int {
	if o.MaxFiles > 0 {
		return o.MaxFiles
	}
	return 1000
}

// Blueprint is a parsed and validated blueprint. Functions other than
// literal ones stay unevaluated until Prepare.
type Blueprint struct {
	// Version is the tosca_definitions_version, e.g. "cloudify_dsl_1_3".
	Version     string
	Description string
	Metadata    map[string]any
	// Dir is the absolute folder of the main file; MainFile its name.
	Dir      string
	MainFile string
	// Files lists every file read (display names), main file first.
	Files []string
	// ImportedBlueprints are the ids of the blueprints of the store it
	// imports (`NS--blueprint:ID`), sorted.
	ImportedBlueprints []string
	// NamespacesMapping maps the namespace of each stored blueprint whose
	// scripts an operation runs (`NS--blueprint:ID` imports) to its id:
	// those scripts are named NS--path (storedOrigin).
	NamespacesMapping map[string]string

	ver            dslVersion
	dispDir        string
	inputs         *schema
	dataTypes      map[string]*dataType
	nodeTypes      map[string]*nodeType
	relTypes       map[string]*relType
	plugins        map[string]*Plugin
	pluginOrder    []string
	workflows      map[string]*Workflow
	templates      []*template
	tmplIdx        map[string]*template
	outputs        []*outputDef
	capabilities   []*outputDef
	groups         map[string]*groupDef
	groupOrder     []string
	policyTypes    map[string]*schema
	policyTriggers map[string]*schema
	policies       []*policyDef
	scalingGroups  map[string]*scalingGroupDef
	labels         *ynode
	bpLabels       *ynode
	maxInstances   int
}

// Parse loads the blueprint at path with its imports and validates it. The
// returned Problems are empty when the blueprint is valid; the Blueprint is
// nil when there are problems.
func Parse(path string, opts Options) (bp *Blueprint, probs Problems) {
	defer func() {
		if r := recover(); r != nil {
			bp = nil
			probs = sortProblems(append(probs, Problem{File: path, Line: 1, Column: 1, Code: CodeInternal,
				Message: fmt.Sprintf("internal error: %v", r),
				Hint:    "please report this blueprint as a Gantry bug: " + firstLine(string(debug.Stack()))}))
		}
	}()
	b, ps := parse(path, opts)
	ps = sortProblems(ps)
	if len(ps) > 0 {
		return nil, ps
	}
	return b, nil
}

// ParseLenient is Parse but returns the (partial) Blueprint along with the
// problems; callers such as graph renderers may use what was understood.
func ParseLenient(path string, opts Options) (*Blueprint, Problems) {
	var b *Blueprint
	var ps Problems
	func() {
		defer func() {
			if r := recover(); r != nil {
				b = nil
				ps = append(ps, Problem{File: path, Line: 1, Column: 1, Code: CodeInternal, Message: fmt.Sprintf("internal error: %v", r)})
			}
		}()
		b, ps = parse(path, opts)
	}()
	return b, sortProblems(ps)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// sections whose entries may come from several files.
var mergeable = map[string]dslVersion{
	"node_types": v1_0, "plugins": v1_0, "workflows": v1_0, "relationships": v1_0, "policy_types": v1_0,
	"groups": v1_0, "policy_triggers": v1_0, "data_types": v1_0,
	"inputs": v1_3, "outputs": v1_3, "node_templates": v1_3, "policies": v1_3, "capabilities": v1_3,
	"labels": v1_4, "blueprint_labels": v1_4, "resource_tags": v1_4,
}

var topKeys = keys{
	"tosca_definitions_version": v1_0, "description": v1_2, "imports": v1_0, "dsl_definitions": v1_2,
	"metadata": v1_0, "inputs": v1_0, "plugins": v1_0, "node_types": v1_0, "relationships": v1_0,
	"data_types": v1_2, "node_templates": v1_0, "outputs": v1_0, "workflows": v1_0, "policy_types": v1_0,
	"policy_triggers": v1_0, "groups": v1_0, "policies": v1_3, "capabilities": v1_3,
	"labels": v1_4, "blueprint_labels": v1_4, "deployment_settings": v1_4, "resource_tags": v1_4,
}

func parse(path string, opts Options) (*Blueprint, Problems) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, Problems{{File: path, Code: CodeFileRead, Message: fmt.Sprintf("cannot resolve path: %v", err)}}
	}
	l := &loader{opts: opts, mainDir: filepath.Dir(abs), dispDir: filepath.Dir(path), files: map[string]*source{}}
	bp := &Blueprint{Dir: l.mainDir, MainFile: filepath.Base(abs), dispDir: l.dispDir, maxInstances: InstanceLimit(opts.MaxInstances)}
	p := &parser{bp: bp, opts: opts, builtins: map[string]bool{}, fileOK: map[string]bool{}}

	// The main file first, alone, to learn the version.
	data, ok := l.readFile(abs, path, Pos{})
	if !ok {
		return nil, l.probs
	}
	mainRoot, yprobs := decodeYAML(path, data, opts.maxFileSize())
	if mainRoot == nil {
		return nil, append(l.probs, yprobs...)
	}
	vn := mainRoot.get("tosca_definitions_version")
	vs, isStr := vn.str()
	switch {
	case mainRoot.kind != kMap:
		// reported by load below
	case vn == nil:
		p.add(mainRoot.pos, CodeVersionMissing, "tosca_definitions_version is missing", "start the file with `tosca_definitions_version: cloudify_dsl_1_3`")
	case !isStr:
		p.add(vn.pos, CodeVersionInvalid, fmt.Sprintf("tosca_definitions_version must be a string, found %s", vn.kind), "supported: "+strings.Join(SupportedVersions, ", "))
	default:
		v, ok := parseVersion(vs)
		if !ok {
			p.add(vn.pos, CodeVersionInvalid, fmt.Sprintf("tosca_definitions_version '%s' is not supported", vs), "supported: "+strings.Join(SupportedVersions, ", "))
		} else {
			p.ver = v
			bp.Version = vs
		}
	}
	if bp.Version == "" {
		p.ver = v1_3 // keep checking the rest as if 1.3
	}
	l.ver = p.ver
	l.pre = map[string]preDecoded{abs: {mainRoot, yprobs}}
	main := l.load(abs, path, l.mainDir, false, data, Pos{})
	p.probs = append(p.probs, l.probs...)
	if main == nil {
		return nil, p.probs
	}
	for _, s := range l.order {
		if s.builtin {
			p.builtins[s.display] = true
		}
		if s.resource {
			if p.typesFiles == nil {
				p.typesFiles = map[string]bool{}
			}
			p.typesFiles[s.display] = true
		}
		if s.stored != nil {
			if p.stored == nil {
				p.stored = map[string]*storedOrigin{}
			}
			p.stored[s.display] = s.stored
		}
		if s != main {
			bp.Files = append(bp.Files, s.display)
		}
	}
	bp.Files = append([]string{main.display}, bp.Files...)
	bp.ImportedBlueprints = slices.Sorted(maps.Keys(l.storedBlueprints))

	secs := p.mergeFiles(main, l.order)
	p.build(secs, main)
	return bp, p.probs
}

// mergeFiles checks top-level keys of every file and merges the mergeable
// sections; a name defined in two files is a problem.
func (p *parser) mergeFiles(main *source, order []*source) map[string]*ynode {
	secs := map[string]*ynode{}
	owner := map[string]*source{}
	for _, s := range order {
		p.strict(s.root, "a blueprint", topKeys)
		if s != main && !s.builtin {
			if vn := s.root.get("tosca_definitions_version"); vn != nil && p.bp.Version != "" {
				// Cloudify 7: an import may be older than the main file, never newer.
				if v, _ := vn.str(); v != p.bp.Version {
					if iv, ok := parseVersion(v); !ok || p.ver.less(iv) {
						p.add(vn.pos, CodeVersionMismatch, fmt.Sprintf("imported file has tosca_definitions_version '%s', newer than the main blueprint's '%s'", v, p.bp.Version),
							"an imported file may use the main blueprint's version or an older one: raise the main file's tosca_definitions_version")
					}
				}
			}
		}
		for i, k := range s.root.keys {
			name := k.keyStr()
			v := s.root.vals[i]
			switch name {
			case "tosca_definitions_version", "imports", "dsl_definitions":
				continue
			}
			if _, known := topKeys[name]; !known {
				continue
			}
			prev, seen := secs[name]
			if !seen {
				secs[name] = v
				owner[name] = s
				continue
			}
			min, canMerge := mergeable[name]
			if !canMerge || !p.ver.atLeast(min) {
				p.add(k.pos, CodeImportNotMergable, fmt.Sprintf("'%s' appears both here and in %s; it cannot be merged", name, owner[name].display),
					"keep it in one file")
				continue
			}
			if v.kind == kNull {
				continue
			}
			if prev.kind == kNull {
				secs[name] = v
				continue
			}
			if v.kind != kMap || prev.kind != kMap {
				if !p.isMap(v, name, true) {
					continue
				}
				p.isMap(prev, name, true)
				continue
			}
			merged := &ynode{kind: kMap, pos: prev.pos, keys: append([]*ynode(nil), prev.keys...), vals: append([]*ynode(nil), prev.vals...)}
			for j, ek := range v.keys {
				en := ek.keyStr()
				if old := merged.keyNode(en); old != nil {
					if unionSections[name] {
						continue // a label or tag key set in several files: Cloudify keeps one
					}
					p.add(ek.pos, CodeImportConflict, fmt.Sprintf("could not merge %s '%s': it is also defined at %s:%d", name, en, old.pos.File, old.pos.Line),
						"rename one of them; names must be unique across imported files")
					continue
				}
				merged.keys = append(merged.keys, ek)
				merged.vals = append(merged.vals, v.vals[j])
			}
			secs[name] = merged
		}
	}
	return secs
}

// build parses every section in dependency order.
func (p *parser) build(secs map[string]*ynode, main *source) {
	bp := p.bp
	bp.ver = p.ver
	if d := secs["description"]; d != nil {
		bp.Description, _ = p.str(d, "description")
	}
	if m := secs["metadata"]; m != nil && m.kind != kNull {
		if p.isMap(m, "metadata", true) {
			bp.Metadata, _ = m.plain().(map[string]any)
		}
	}
	bp.dataTypes = map[string]*dataType{}
	bp.nodeTypes = map[string]*nodeType{}
	bp.relTypes = map[string]*relType{}
	bp.plugins = map[string]*Plugin{}
	bp.workflows = map[string]*Workflow{}
	bp.tmplIdx = map[string]*template{}
	bp.groups = map[string]*groupDef{}
	bp.policyTypes = map[string]*schema{}
	bp.policyTriggers = map[string]*schema{}
	bp.scalingGroups = map[string]*scalingGroupDef{}

	p.parseDataTypes(secs["data_types"])
	p.parsePlugins(secs["plugins"])
	p.parseNodeTypes(secs["node_types"])
	p.parseRelTypes(secs["relationships"])
	p.parsePolicyTypes(secs["policy_types"], secs["policy_triggers"])
	p.parseInputs(secs["inputs"])
	p.parseTemplates(secs["node_templates"])
	p.parseWorkflows(secs["workflows"])
	bp.outputs = p.parseOutputs(secs["outputs"], "outputs")
	bp.capabilities = p.parseOutputs(secs["capabilities"], "capabilities")
	p.parseGroups(secs["groups"])
	p.parsePolicies(secs["policies"])
	if l := secs["labels"]; l != nil {
		bp.labels = p.parseLabels(l, "labels")
	}
	p.checkDeploymentSettings(secs["deployment_settings"])
	if l := secs["blueprint_labels"]; l != nil {
		bp.bpLabels = p.parseLabels(l, "blueprint_labels")
	}
	p.validateFunctions()
	p.checkImportedFiles()
	if rt := p.opts.Runtime; rt != nil {
		p.checkRunnable(rt)
	}
	if len(p.probs) == 0 {
		p.checkInstanceTotal(bp.maxInstances,
			func(t *template) int64 { return literalCount(t.defI) },
			func(sg *scalingGroupDef) int64 { return literalCount(sg.defI) })
	}
}

var pluginKeys = keys{"executor": v1_0, "source": v1_0, "install": v1_0, "install_arguments": v1_1, "package_name": v1_2,
	"package_version": v1_2, "supported_platform": v1_2, "distribution": v1_2, "distribution_version": v1_2, "distribution_release": v1_2,
	"properties": v1_5, "properties_description": v1_5}

func (p *parser) parsePlugins(sec *ynode) {
	p.entries(sec, "plugins", func(name string, k, v *ynode) {
		what := fmt.Sprintf("plugin '%s'", name)
		pl := &Plugin{Name: name, Install: true}
		if !p.isMap(v, what, false) {
			return
		}
		p.strict(v, what, pluginKeys)
		if ex := p.required(v, "executor", what); ex != nil {
			s, _ := p.str(ex, what+" executor")
			if s != ExecutorCentral && s != ExecutorHost {
				p.add(ex.pos, CodeInvalidValue, fmt.Sprintf("%s executor must be %s or %s, not '%s'", what, ExecutorCentral, ExecutorHost, s), suggest(s, []string{ExecutorCentral, ExecutorHost}))
			}
			pl.Executor = s
		}
		pl.Source, _ = p.str(v.get("source"), what+" source")
		pl.Install = p.boolean(v.get("install"), what+" install", true)
		pl.PackageName, _ = p.str(v.get("package_name"), what+" package_name")
		if pl.Install && pl.Source == "" && pl.PackageName == "" {
			p.add(k.pos, CodePluginInvalid, fmt.Sprintf("%s is to be installed but has neither 'source' nor 'package_name'", what),
				"add `install: false` (Gantry's built-in plugins need no install) or a source")
		}
		bp := p.bp
		bp.plugins[name] = pl
		bp.pluginOrder = append(bp.pluginOrder, name)
	})
}

// paramScriptPath is the parameter holding a script workflow's script.
const paramScriptPath = "script_path"

var workflowKeys = keys{"mapping": v1_0, "parameters": v1_0, "description": v1_0, "is_cascading": v1_0, "availability_rules": v1_4}

func (p *parser) parseWorkflows(sec *ynode) {
	p.entries(sec, "workflows", func(name string, k, v *ynode) {
		what := fmt.Sprintf("workflow '%s'", name)
		var mapping string
		params := &schema{}
		switch v.kind {
		case kString:
			mapping = v.val.(string)
		case kMap:
			p.strict(v, what, workflowKeys)
			if m := p.required(v, "mapping", what); m != nil {
				mapping, _ = p.str(m, what+" mapping")
			}
			params = p.parseSchema(v.get("parameters"), what+" parameter", true)
			p.checkSchemaTypes(params, what+" parameter", nil, false)
			p.gateInputTypes(params, what+" parameter")
			p.boolean(v.get("is_cascading"), what+" is_cascading", false)
			p.checkAvailabilityRules(v.get("availability_rules"), what)
		default:
			p.add(v.pos, CodeWrongType, fmt.Sprintf("%s must be a mapping string or a dict, found %s", what, v.kind), "write `name: plugin.module.function` or `{mapping: ..., parameters: ...}`")
			return
		}
		if strings.TrimSpace(mapping) == "" {
			p.add(v.pos, CodeWorkflowInvalid, fmt.Sprintf("%s has an empty mapping", what), "")
			return
		}
		m := p.mapOp(&effOp{impl: strings.TrimSpace(mapping), pos: v.pos}, what, "workflow")
		wf := &Workflow{Plugin: m.op.Plugin, Operation: m.op.Operation, Parameters: map[string]*PropertyDef{}}
		for _, n := range params.order {
			wf.Parameters[n] = params.props[n].def2()
		}
		if m.op.ScriptPath != "" {
			wf.Parameters[paramScriptPath] = &PropertyDef{Type: "string", Default: m.op.ScriptPath, HasDefault: true, Required: true}
		} else if sp := wf.Parameters[paramScriptPath]; sp != nil && wf.Plugin == PluginScript && wf.Operation == OpScriptRunWorkflow {
			// script.execute_workflow's script_path, declared in a
			// stored blueprint: a script of its folder is its own.
			if def, ok := sp.Default.(string); ok {
				var op Operation
				if p.storedScript(&effOp{impl: def, pos: v.pos}, &op) {
					sp.Default = op.ScriptPath
				}
			}
		}
		p.bp.workflows[name] = wf
		if p.wfPos == nil {
			p.wfPos = map[string]Pos{}
		}
		p.wfPos[name] = v.pos
	})
}

// outputDef is an output or capability.
type outputDef struct {
	name  string
	desc  string
	value *ynode
	pos   Pos
}

func (p *parser) parseOutputs(sec *ynode, what string) []*outputDef {
	var out []*outputDef
	p.entries(sec, what, func(name string, k, v *ynode) {
		w := fmt.Sprintf("%s '%s'", strings.TrimSuffix(what, "s"), name)
		if !p.isMap(v, w, false) {
			return
		}
		p.strict(v, w, keys{"description": v1_0, "value": v1_0})
		o := &outputDef{name: name, pos: k.pos}
		o.desc, _ = p.str(v.get("description"), w+" description")
		if v.keyNode("value") == nil {
			p.add(v.pos, CodeMissingKey, fmt.Sprintf("%s is missing the required key 'value'", w), "")
			return
		}
		o.value = v.get("value")
		out = append(out, o)
	})
	return out
}

func (p *parser) parseLabels(n *ynode, what string) *ynode {
	p.entries(n, what, func(name string, k, v *ynode) {
		if v.kind == kMap {
			p.strict(v, fmt.Sprintf("%s '%s'", what, name), keys{"values": v1_4})
		} else if v.kind != kSeq {
			p.add(v.pos, CodeWrongType, fmt.Sprintf("%s '%s' must be a list of values or {values: [...]}, found %s", what, name, v.kind), "")
		}
	})
	return n
}
