package manager

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/tosca"
)

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

// withStoredBlueprints adds to opts the resolver of `NS--blueprint:ID`
// imports: each blueprint named is extracted from the store (once per
// parse) into a private folder that done removes; call done after Parse.
func (m *Manager) withStoredBlueprints(ctx context.Context, opts tosca.Options) (tosca.Options, func()) {
	var removes []func()
	opts.Blueprints = func(id string) (string, error) {
		bp, err := m.st.GetBlueprint(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return "", fmt.Errorf("no blueprint %q in the store", id)
		}
		if err != nil {
			return "", err
		}
		dir, remove, err := m.extractBlueprint(ctx, bp, planPurpose)
		if err != nil {
			return "", err
		}
		removes = append(removes, remove)
		return filepath.Join(dir, bp.MainFile), nil
	}
	return opts, func() {
		for _, r := range removes {
			r()
		}
	}
}
