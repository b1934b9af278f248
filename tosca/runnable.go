package tosca

import (
	"fmt"
	"path/filepath"
	"strings"
)

// checkRunnable reports what the blueprint declares and rt cannot run:
// operations mapped to a plugin without a runtime or to an operation the
// plugin does not have, and workflows the engine does not build. A
// workflow declared by Gantry's own built-in files that rt cannot run is
// not offered (dropped from the plan) rather than reported.
func (p *parser) checkRunnable(rt *Runtime) {
	b := p.bp
	for _, name := range sortedKeys(b.workflows) {
		wf := b.workflows[name]
		if rt.RunsWorkflow(name) && wf.Plugin == PluginDefaultWorkflows {
			continue
		}
		at := p.wfPos[name]
		if p.builtins[at.File] || p.typesFiles[at.File] {
			delete(b.workflows, name)
			continue
		}
		if wf.Plugin == PluginScript && wf.Operation == OpScriptRunWorkflow {
			p.checkScriptWorkflow(name, wf, at)
			continue
		}
		p.add(at, CodeWorkflowNotRunnable, fmt.Sprintf("workflow '%s' maps to %s, which Gantry cannot run", name, mappingText(wf.Plugin, wf.Operation)),
			"Gantry runs the workflows "+strings.Join(rt.Workflows, ", ")+" and custom workflows written as scripts: `mapping: scripts/my_workflow.py` (or .sh) with the script in the blueprint's folder")
	}
	// A set is checked once; one declared by Gantry's built-in files (a
	// Cloudify 7 type whose operations Gantry does not run yet) is reported
	// at each template using it, since the user can fix only that.
	seen := map[*opSet]bool{}
	check := func(s *opSet, t *template) {
		if s == nil || seen[s] {
			return
		}
		seen[s] = true
		for _, name := range s.names {
			m := s.ops[name]
			if m == nil || m.op.IsNoop() {
				continue
			}
			at, what := m.pos, "operation '"+name+"'"
			if p.builtins[at.File] {
				seen[s] = false
				at, what = t.pos, fmt.Sprintf("node template '%s' (%s): operation '%s'", t.name, t.typ.name, name)
			}
			hasPlugin, hasOp := rt.runs(m.op.Plugin, m.op.Operation)
			switch {
			case !hasPlugin:
				p.add(at, CodeOpNotRunnable, fmt.Sprintf("%s maps to plugin '%s', which Gantry cannot run", what, m.op.Plugin),
					"Gantry runs the plugins "+strings.Join(rt.pluginNames(), ", ")+"; scripts in the blueprint's folder run with the script plugin")
			case !hasOp:
				p.add(at, CodeOpNotRunnable, fmt.Sprintf("%s maps to %s, which the %s plugin does not have", what, mappingText(m.op.Plugin, m.op.Operation), m.op.Plugin),
					fmt.Sprintf("the %s plugin runs: %s", m.op.Plugin, strings.Join(rt.Plugins[m.op.Plugin], ", ")))
			}
		}
	}
	for _, t := range b.templates {
		check(t.ops, t)
		for _, r := range t.rels {
			check(r.srcOps, t)
			check(r.tgtOps, t)
		}
	}
}

func mappingText(plugin, op string) string {
	if plugin == "" {
		return "'" + op + "'"
	}
	return "'" + plugin + "." + op + "'"
}

// checkScriptWorkflow checks a custom workflow in Cloudify's
// script.execute_workflow form: its script_path parameter must default to
// a script of the blueprint's folder (the engine runs that script).
func (p *parser) checkScriptWorkflow(name string, wf *Workflow, at Pos) {
	sp := wf.Parameters[paramScriptPath]
	var script string
	if sp != nil {
		script, _ = sp.Default.(string)
	}
	switch {
	case script == "":
		p.add(at, CodeWorkflowNotRunnable, fmt.Sprintf("workflow '%s' maps to %s without a script", name, mappingText(wf.Plugin, wf.Operation)),
			"give it a `script_path` parameter whose default is the script's path in the blueprint's folder, or write `mapping: scripts/my_workflow.py`")
	case p.storedFile(script):
		// A script of a stored blueprint's folder (storedScript).
	case p.scriptOutside(script):
		p.add(at, CodeOpScriptOutside, fmt.Sprintf("workflow '%s': the script '%s' is outside the blueprint's folder", name, script),
			"Gantry stores and runs only the files of the blueprint's folder: copy the script into it and name it relative to the main file")
	case !p.scriptExists(script):
		p.add(at, CodeWorkflowNotRunnable, fmt.Sprintf("workflow '%s': its script '%s' is not in the blueprint's folder", name, script),
			fmt.Sprintf("put the script at %s", filepath.Join(p.bp.dispDir, filepath.FromSlash(script))))
	}
}
