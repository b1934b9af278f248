package tosca

import "strings"

// Namespaced imports (`NS--file.yaml`, `NS--plugin:NAME`), as Cloudify 7
// scopes them: every name a namespaced file defines (types, plugins,
// inputs, node templates, workflows, ...) becomes `NS--name`, and so do
// its references to names defined in its namespace (its own, or those of
// the files it imports). A file imported from a namespaced file, without
// a namespace of its own, shares the importer's; with one, the namespaces
// join (`A--B--name`). Cloudify's basic types (a file whose metadata says
// cloudify_types, a resources-dir or built-in types file) and names
// starting with `cloudify.` are never namespaced.

// nsSections are the sections whose keys a namespace prefixes.
var nsSections = []string{"node_types", "relationships", "data_types", "policy_types", "policy_triggers", "plugins",
	"workflows", "inputs", "outputs", "capabilities", "node_templates", "groups", "policies"}

// childNamespace is the namespace of an import written imp in a file of
// namespace parent.
func childNamespace(parent, imp string) string {
	own, rest := splitNamespace(strings.TrimSpace(imp))
	if rest == strings.TrimSpace(imp) || own == "" {
		return parent
	}
	if parent == "" {
		return own
	}
	return parent + NamespaceDelimiter + own
}

// basicTypes reports a file holding Cloudify's basic types.
func basicTypes(s *source) bool {
	if s.builtin || s.resource {
		return true
	}
	if n := s.root.get("metadata").get("cloudify_types"); n != nil {
		b, _ := n.val.(bool)
		return b
	}
	return false
}

// applyNamespace rewrites a namespaced file once its imports are loaded.
func (l *loader) applyNamespace(s *source) {
	if s.ns == "" || s.root == nil || s.root.kind != kMap || basicTypes(s) {
		return
	}
	nr := &nsRewriter{ns: s.ns, local: map[string]bool{}, below: map[string]bool{}}
	for _, sec := range nsSections {
		for _, k := range s.root.get(sec).mapKeysNodes() {
			nr.local[k.keyStr()] = true
		}
	}
	seen := map[*source]bool{}
	var collect func(*source)
	collect = func(c *source) {
		if seen[c] {
			return
		}
		seen[c] = true
		for _, sec := range nsSections {
			for _, k := range c.root.get(sec).mapKeysNodes() {
				nr.below[k.keyStr()] = true
			}
		}
		for _, g := range c.imports {
			collect(g)
		}
	}
	for _, c := range s.imports {
		collect(c)
	}
	nr.rewrite(s.root)
}

// mapKeysNodes are the key nodes of a mapping (none for anything else).
func (n *ynode) mapKeysNodes() []*ynode {
	if n == nil || n.kind != kMap {
		return nil
	}
	return n.keys
}

type nsRewriter struct {
	ns    string
	local map[string]bool // names this file defines
	below map[string]bool // names its imports define (already namespaced)
}

// name is the namespaced form of a definition's name.
func (nr *nsRewriter) name(s string) string {
	if strings.HasPrefix(s, "cloudify.") {
		return s
	}
	return nr.ns + NamespaceDelimiter + s
}

// ref is the namespaced form of a reference, when it names something of
// this namespace.
func (nr *nsRewriter) ref(s string) string {
	if strings.HasPrefix(s, "cloudify.") {
		return s
	}
	if nr.local[s] || nr.below[nr.ns+NamespaceDelimiter+s] {
		return nr.ns + NamespaceDelimiter + s
	}
	return s
}

func (nr *nsRewriter) refNode(n *ynode) {
	if s, ok := n.str(); ok {
		n.val = nr.ref(s)
	}
}

// opRef rewrites the plugin part of an operation mapping `plugin.op`.
func (nr *nsRewriter) opRef(n *ynode) {
	s, ok := n.str()
	if !ok {
		return
	}
	for i := 0; i < len(s); i++ {
		if s[i] == '.' && nr.ref(s[:i]) != s[:i] {
			n.val = nr.ref(s[:i]) + s[i:]
			return
		}
	}
}

func (nr *nsRewriter) rewrite(root *ynode) {
	for _, sec := range nsSections {
		n := root.get(sec)
		for _, k := range n.mapKeysNodes() {
			k.val = nr.name(k.keyStr())
		}
	}
	for _, sec := range []string{"node_types", "relationships", "data_types"} {
		for _, v := range root.get(sec).mapValues() {
			nr.refNode(v.get("derived_from"))
			nr.schemaTypes(v.get("properties"))
			for _, ifs := range []string{"interfaces", "source_interfaces", "target_interfaces"} {
				nr.interfaces(v.get(ifs))
			}
		}
	}
	for _, v := range root.get("plugins").mapValues() {
		nr.schemaTypes(v.get("properties"))
	}
	nr.schemaTypes(root.get("inputs"))
	for _, v := range root.get("workflows").mapValues() {
		if v.kind == kString {
			nr.opRef(v)
			continue
		}
		nr.opRef(v.get("mapping"))
		nr.schemaTypes(v.get("parameters"))
	}
	for _, t := range root.get("node_templates").mapValues() {
		nr.refNode(t.get("type"))
		nr.interfaces(t.get("interfaces"))
		if rels := t.get("relationships"); rels != nil && rels.kind == kSeq {
			for _, r := range rels.items {
				nr.refNode(r.get("type"))
				nr.refNode(r.get("target"))
				nr.interfaces(r.get("source_interfaces"))
				nr.interfaces(r.get("target_interfaces"))
			}
		}
	}
	for _, g := range root.get("groups").mapValues() {
		nr.refList(g.get("members"))
		for _, gp := range g.get("policies").mapValues() {
			nr.refNode(gp.get("type"))
		}
	}
	for _, pol := range root.get("policies").mapValues() {
		nr.refNode(pol.get("type"))
		nr.refList(pol.get("targets"))
	}
	nr.functions(root, 0)
}

func (nr *nsRewriter) refList(n *ynode) {
	if n != nil && n.kind == kSeq {
		for _, it := range n.items {
			nr.refNode(it)
		}
	}
}

func (nr *nsRewriter) schemaTypes(n *ynode) {
	for _, v := range n.mapValues() {
		nr.refNode(v.get("type"))
	}
}

// mapValues are the values of a mapping (none for anything else).
func (n *ynode) mapValues() []*ynode {
	if n == nil || n.kind != kMap {
		return nil
	}
	return n.vals
}

func (nr *nsRewriter) interfaces(n *ynode) {
	for _, iface := range n.mapValues() {
		for _, op := range iface.mapValues() {
			if op.kind == kString {
				nr.opRef(op)
			} else {
				nr.opRef(op.get("implementation"))
			}
		}
	}
}

// functions rewrites the inputs and nodes functions name.
func (nr *nsRewriter) functions(n *ynode, depth int) {
	if n == nil || depth > maxDepth {
		return
	}
	switch n.kind {
	case kMap:
		if isFunction(n) {
			arg := n.vals[0]
			switch fnName(n) {
			case FnGetInput:
				if arg.kind == kSeq && len(arg.items) > 0 {
					nr.refNode(arg.items[0])
				} else {
					nr.refNode(arg)
				}
			case FnGetProperty, FnGetAttribute, FnGetAttributesList, FnGetAttributesDict:
				if arg.kind == kSeq && len(arg.items) > 0 {
					if s, _ := arg.items[0].str(); s != "SELF" && s != "SOURCE" && s != "TARGET" {
						nr.refNode(arg.items[0])
					}
				}
			}
		}
		for _, v := range n.vals {
			nr.functions(v, depth+1)
		}
	case kSeq:
		for _, v := range n.items {
			nr.functions(v, depth+1)
		}
	}
}

// withoutNamespace loads basic types outside any namespace; call the
// returned function to restore the current one.
func (l *loader) withoutNamespace() func() {
	ns := l.curNS
	l.curNS = ""
	return func() { l.curNS = ns }
}
