package plan

import (
	"fmt"
	"strconv"

	"github.com/gantryhq/gantry/tosca"
)

// RenderOptions selects what a picture shows.
type RenderOptions struct {
	// Instances draws node instances (Plan.NodeInstances) instead of node
	// templates.
	Instances bool
}

// scene is the renderer-neutral picture: boxes nested by containment
// (contained_in and scaling groups) and relationship edges.
type scene struct {
	verts []vert
	roots []int
	edges []sceneEdge
}

type vert struct {
	label []string // lines
	group bool     // a scaling group (instance): a frame without a box
	kids  []int
}

type sceneEdge struct {
	from, to int
	kind     relKind
	typ      string
}

func buildScene(p *tosca.Plan, opts RenderOptions) (*scene, error) {
	if p == nil {
		return nil, fmt.Errorf("render: nil plan: %w", ErrUnknownTarget)
	}
	t, err := buildTopology(p)
	if err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	if !opts.Instances {
		return templateScene(t), nil
	}
	if p.NodeInstances == nil && len(p.Nodes) > 0 {
		return nil, fmt.Errorf("render instances: %w (expand the plan first)", ErrNoInstances)
	}
	f, err := readForest(t, p.NodeInstances, 1)
	if err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	return instanceScene(f)
}

func templateScene(t *topology) *scene {
	s := &scene{verts: make([]vert, len(t.units))}
	for u := range t.units {
		un := &t.units[u]
		v := &s.verts[u]
		v.kids = un.children
		if un.isGroup() {
			v.group = true
			v.label = []string{"scaling group " + un.name, "x" + strconv.Itoa(un.count)}
		} else {
			v.label = []string{un.name, un.node.Type, "x" + strconv.Itoa(un.count)}
			for _, ri := range un.rels {
				if ri.kind != relContained {
					s.edges = append(s.edges, sceneEdge{from: u, to: ri.target, kind: ri.kind, typ: ri.rel.Type})
				}
			}
		}
		if un.parent < 0 {
			s.roots = append(s.roots, u)
		}
	}
	return s
}

func instanceScene(f *forest) (*scene, error) {
	t := f.topo
	type relSig struct{ target, typ string }
	kinds := make([]map[relSig]relKind, len(t.plan.Nodes))
	for u := range kinds {
		kinds[u] = make(map[relSig]relKind, len(t.units[u].rels))
		for _, ri := range t.units[u].rels {
			kinds[u][relSig{ri.rel.TargetID, ri.rel.Type}] = ri.kind
		}
	}
	s := &scene{verts: make([]vert, len(f.insts))}
	for u := range t.units {
		for _, i := range f.byUnit[u] {
			if f.insts[i].parent < 0 {
				s.roots = append(s.roots, i)
			}
		}
	}
	for i := range f.insts {
		in := &f.insts[i]
		v := &s.verts[i]
		v.kids = f.kids[i]
		un := &t.units[in.unit]
		if un.isGroup() {
			v.group = true
			v.label = []string{"scaling group " + in.id}
			continue
		}
		v.label = []string{in.id}
		for _, r := range in.old.Relationships {
			kind := kinds[in.unit][relSig{r.TargetName, r.Type}]
			if kind == relContained {
				continue // drawn as nesting
			}
			j, ok := f.byID[r.TargetID]
			if !ok {
				return nil, fmt.Errorf("render: instance %s: relationship target %s: %w", in.id, r.TargetID, ErrUnknownTarget)
			}
			if kind == relUnsupported { // not in the template: judge by type name
				kind = classify(&tosca.Relationship{Type: r.Type})
			}
			s.edges = append(s.edges, sceneEdge{from: i, to: j, kind: kind, typ: r.Type})
		}
	}
	return s, nil
}
