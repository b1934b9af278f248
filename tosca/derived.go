package tosca

import (
	"fmt"
	"strings"
)

// derived is what every type with derived_from shares: its name, its
// parent's name, where it is defined, and where its resolution stands.
type derived struct {
	name   string
	parent string
	pos    Pos
	node   *ynode
	state  uint8 // 0 new, 1 resolving, 2 done
}

// resolveDerived resolves t after its parent: it reports a derived_from
// cycle or an unknown parent (once, at the type concerned) and then calls
// inherit with the resolved parent, or nil when there is none or it could
// not be resolved. Each type is resolved once; the work is linear in the
// number of types. kind names the types in problems ("node type").
func resolveDerived[T any](p *parser, kind string, all map[string]*T, t *T, base func(*T) *derived, inherit func(t, parent *T), chain []string) {
	d := base(t)
	switch d.state {
	case 2:
		return
	case 1:
		p.add(d.pos, CodeDerivedCycle, fmt.Sprintf("%s '%s' derives from itself: %s", kind, d.name, strings.Join(append(chain, d.name), " -> ")), "break the derived_from cycle")
		return
	}
	d.state = 1
	var parent *T
	if d.parent != "" {
		parent = all[d.parent]
		if parent == nil {
			p.add(d.node.get("derived_from").pos, CodeTypeNotFound, fmt.Sprintf("%s '%s' derives from unknown type '%s'", kind, d.name, d.parent), typeHint(d.parent, sortedKeys(all)))
		} else {
			resolveDerived(p, kind, all, parent, base, inherit, append(chain, d.name))
			if base(parent).state != 2 {
				parent = nil
			}
		}
	}
	inherit(t, parent)
	d.state = 2
}
