package manager

import "github.com/gantryhq/gantry/tosca"

// parseOptions are the options every blueprint parse of the manager uses:
// the import rules, and the runtime of this manager (tosca.GantryRuntime
// plus any plugin registered beyond the built-ins), so that what the engine
// cannot run is refused when the blueprint is uploaded, not at install.
func (m *Manager) parseOptions() tosca.Options {
	rt := tosca.GantryRuntime()
	for _, name := range m.registry.Names() {
		if _, ok := rt.Plugins[name]; !ok {
			rt = rt.WithPlugin(name)
		}
	}
	return tosca.Options{ImportRules: m.cfg.ImportRules, ResourcesDir: m.cfg.ResourcesDir, PluginsDir: m.cfg.PluginsDir, Runtime: rt}
}
