package plugins

import (
	"fmt"
	"strconv"
	"sync"
)

// RuntimeProperties are a node instance's runtime properties as an
// operation sees them. Paths are key sequences into nested maps (a list
// element is addressed by its decimal index when reading). Writes are
// visible at once to other operations of the execution and are persisted
// by the engine when the operation ends.
type RuntimeProperties interface {
	// Get returns the value at path (the whole map, copied, for an empty
	// path) and whether it exists. The value is a deep copy.
	Get(path ...string) (any, bool)
	// Set stores a deep copy of value at path, creating intermediate maps.
	Set(value any, path ...string) error
	// Delete removes the value at path (no error when it is missing).
	Delete(path ...string) error
	// All returns a deep copy of all runtime properties.
	All() map[string]any
}

// GetPath walks m along path. Maps are walked by key, lists by decimal index.
func GetPath(m map[string]any, path ...string) (any, bool) {
	var cur any = m
	for _, k := range path {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[k]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// SetPath stores value at path in m, creating intermediate maps. It fails
// when an intermediate value exists and is not a map.
func SetPath(m map[string]any, value any, path ...string) error {
	if len(path) == 0 {
		return fmt.Errorf("set runtime property: empty key")
	}
	cur := m
	for i, k := range path[:len(path)-1] {
		next, ok := cur[k]
		if !ok || next == nil {
			nm := map[string]any{}
			cur[k] = nm
			cur = nm
			continue
		}
		nm, ok := next.(map[string]any)
		if !ok {
			return fmt.Errorf("set runtime property %v: %v is a %T, not a map", path, path[:i+1], next)
		}
		cur = nm
	}
	cur[path[len(path)-1]] = value
	return nil
}

// DeletePath removes the value at path from m.
func DeletePath(m map[string]any, path ...string) error {
	if len(path) == 0 {
		return fmt.Errorf("delete runtime property: empty key")
	}
	parent, ok := GetPath(m, path[:len(path)-1]...)
	if !ok {
		return nil
	}
	pm, ok := parent.(map[string]any)
	if !ok {
		return fmt.Errorf("delete runtime property %v: parent is a %T, not a map", path, parent)
	}
	delete(pm, path[len(path)-1])
	return nil
}

// DeepCopy copies JSON-like values (maps, lists, scalars). Other values
// are returned as they are.
func DeepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return DeepCopyMap(t)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = DeepCopy(e)
		}
		return out
	default:
		return v
	}
}

// DeepCopyMap copies a JSON-like map; nil stays nil.
func DeepCopyMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, e := range m {
		out[k] = DeepCopy(e)
	}
	return out
}

// MapRuntime is a RuntimeProperties over a plain map guarded by a mutex,
// with an optional callback on every change. The engine uses it with a
// callback that marks the instance for persisting; tests use it directly.
type MapRuntime struct {
	mu       *sync.Mutex
	m        map[string]any
	onChange func()
}

// NewMapRuntime wraps m (created when nil). mu guards m and may be shared
// with the owner of m; nil gives the runtime its own mutex. onChange, when
// not nil, is called (with mu held) after every successful change.
func NewMapRuntime(mu *sync.Mutex, m map[string]any, onChange func()) *MapRuntime {
	if mu == nil {
		mu = &sync.Mutex{}
	}
	if m == nil {
		m = map[string]any{}
	}
	return &MapRuntime{mu: mu, m: m, onChange: onChange}
}

// Get implements RuntimeProperties.
func (r *MapRuntime) Get(path ...string) (any, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := GetPath(r.m, path...)
	return DeepCopy(v), ok
}

// Set implements RuntimeProperties.
func (r *MapRuntime) Set(value any, path ...string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := SetPath(r.m, DeepCopy(value), path...); err != nil {
		return err
	}
	if r.onChange != nil {
		r.onChange()
	}
	return nil
}

// Delete implements RuntimeProperties.
func (r *MapRuntime) Delete(path ...string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, existed := GetPath(r.m, path...)
	if err := DeletePath(r.m, path...); err != nil {
		return err
	}
	if existed && r.onChange != nil {
		r.onChange()
	}
	return nil
}

// All implements RuntimeProperties.
func (r *MapRuntime) All() map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	return DeepCopyMap(r.m)
}
