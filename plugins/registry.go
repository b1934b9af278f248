package plugins

import (
	"fmt"
	"sort"
	"sync"
)

// Registry maps plugin names (the `plugin` of an operation mapping, e.g.
// "script") to built-in plugins. It is safe for concurrent use.
type Registry struct {
	mu      sync.RWMutex
	plugins map[string]Plugin
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{plugins: map[string]Plugin{}} }

// Register adds a plugin under name. Registering a name twice is an error.
func (r *Registry) Register(name string, p Plugin) error {
	if name == "" {
		return fmt.Errorf("register plugin: empty name")
	}
	if p == nil {
		return fmt.Errorf("register plugin %q: nil plugin", name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.plugins[name]; dup {
		return fmt.Errorf("register plugin %q: already registered", name)
	}
	r.plugins[name] = p
	return nil
}

// Lookup returns the plugin registered under name, or an error wrapping
// ErrUnknownPlugin.
func (r *Registry) Lookup(name string) (Plugin, error) {
	r.mu.RLock()
	p, ok := r.plugins[name]
	r.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("plugin %q: %w (registered: %v)", name, ErrUnknownPlugin, r.Names())
	}
	return p, nil
}

// Names lists the registered plugin names, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.plugins))
	for n := range r.plugins {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
