package tosca

import (
	"fmt"
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
		p.add(at, CodeWorkflowNotRunnable, fmt.Sprintf("workflow '%s' maps to %s, which Gantry cannot run", name, mappingText(wf.Plugin, wf.Operation)),
			"Gantry runs the workflows "+strings.Join(rt.Workflows, ", ")+"; custom workflows are not supported yet: remove it")
	}
	seen := map[*opSet]bool{}
	check := func(s *opSet) {
		if s == nil || seen[s] {
			return
		}
		seen[s] = true
		for _, name := range s.names {
			m := s.ops[name]
			if m == nil || m.op.IsNoop() {
				continue
			}
			hasPlugin, hasOp := rt.runs(m.op.Plugin, m.op.Operation)
			switch {
			case !hasPlugin:
				p.add(m.pos, CodeOpNotRunnable, fmt.Sprintf("operation '%s' maps to plugin '%s', which Gantry cannot run", name, m.op.Plugin),
					"Gantry runs the plugins "+strings.Join(rt.pluginNames(), ", ")+"; scripts in the blueprint's folder run with the script plugin")
			case !hasOp:
				p.add(m.pos, CodeOpNotRunnable, fmt.Sprintf("operation '%s' maps to %s, which the %s plugin does not have", name, mappingText(m.op.Plugin, m.op.Operation), m.op.Plugin),
					fmt.Sprintf("the %s plugin runs: %s", m.op.Plugin, strings.Join(rt.Plugins[m.op.Plugin], ", ")))
			}
		}
	}
	for _, t := range b.templates {
		check(t.ops)
		for _, r := range t.rels {
			check(r.srcOps)
			check(r.tgtOps)
		}
	}
}

func mappingText(plugin, op string) string {
	if plugin == "" {
		return "'" + op + "'"
	}
	return "'" + plugin + "." + op + "'"
}
