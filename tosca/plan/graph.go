package plan

import (
	"fmt"

	"github.com/gantryhq/gantry/tosca"
)

// Graph is the dependency graph of a plan's node instances: an instance
// depends on the target of each of its relationship instances (contained_in,
// connected_to and depends_on alike) and may only be installed once they
// are; uninstall runs the other way round. Instances are numbered in the
// order of Plan.NodeInstances.
type Graph struct {
	ids     []string
	nodeIDs []string
	index   map[string]int
	deps    [][]int // deps[i]: instances i waits for, without duplicates
	rdeps   [][]int // rdeps[i]: instances waiting for i
	missing []string
}

// BuildGraph builds the instance dependency graph of p in O(V+E).
// Relationship targets that are not instances of p are left out of the
// graph and reported by Check and Layers.
func BuildGraph(p *tosca.Plan) *Graph {
	n := len(p.NodeInstances)
	g := &Graph{
		ids:     make([]string, n),
		nodeIDs: make([]string, n),
		index:   make(map[string]int, n),
		deps:    make([][]int, n),
		rdeps:   make([][]int, n),
	}
	edges := 0
	for i, ni := range p.NodeInstances {
		g.ids[i] = ni.ID
		g.nodeIDs[i] = ni.NodeID
		if _, dup := g.index[ni.ID]; dup {
			g.missing = append(g.missing, fmt.Sprintf("instance id %s is used twice", ni.ID))
			continue
		}
		g.index[ni.ID] = i
		edges += len(ni.Relationships)
	}
	// One backing array for all forward edges; stamp dedups per source.
	backing := make([]int, 0, edges)
	stamp := make([]int, n)
	indeg := make([]int, n)
	for i, ni := range p.NodeInstances {
		start := len(backing)
		for _, r := range ni.Relationships {
			j, ok := g.index[r.TargetID]
			if !ok {
				g.missing = append(g.missing, fmt.Sprintf("%s -> %s (%s)", ni.ID, r.TargetID, r.Type))
				continue
			}
			if stamp[j] == i+1 {
				continue
			}
			stamp[j] = i + 1
			backing = append(backing, j)
			indeg[j]++
		}
		g.deps[i] = backing[start:len(backing):len(backing)]
	}
	rback := make([]int, len(backing))
	off := 0
	for j := range g.rdeps {
		g.rdeps[j] = rback[off : off : off+indeg[j]]
		off += indeg[j]
	}
	for i, ds := range g.deps {
		for _, j := range ds {
			g.rdeps[j] = append(g.rdeps[j], i)
		}
	}
	return g
}

// Len is the number of instances.
func (g *Graph) Len() int { return len(g.ids) }

// ID is the instance id of vertex i.
func (g *Graph) ID(i int) string { return g.ids[i] }

// NodeID is the node (template) id of vertex i.
func (g *Graph) NodeID(i int) string { return g.nodeIDs[i] }

// Index is the vertex of an instance id.
func (g *Graph) Index(id string) (int, bool) {
	i, ok := g.index[id]
	return i, ok
}

// Dependencies are the vertices i waits for (its relationship targets).
// The slice is shared: do not modify it.
func (g *Graph) Dependencies(i int) []int { return g.deps[i] }

// Dependents are the vertices waiting for i. The slice is shared.
func (g *Graph) Dependents(i int) []int { return g.rdeps[i] }

// Check reports relationship targets that are not instances of the plan
// (ErrUnknownTarget) and dependency cycles (*CycleError, ErrCycle).
func (g *Graph) Check() error {
	_, err := g.LayerIndices()
	return err
}

// Layers groups instance ids into topological layers: layer 0 has no
// dependencies, every instance of layer k depends only on instances of
// earlier layers (and on at least one of layer k-1). Installing layer by
// layer respects every relationship; uninstall goes in reverse. Ids in a
// layer keep plan order.
func (g *Graph) Layers() ([][]string, error) {
	li, err := g.LayerIndices()
	if err != nil {
		return nil, err
	}
	out := make([][]string, len(li))
	for k, layer := range li {
		out[k] = make([]string, len(layer))
		for x, i := range layer {
			out[k][x] = g.ids[i]
		}
	}
	return out, nil
}

// LayerIndices is Layers with vertex numbers.
func (g *Graph) LayerIndices() ([][]int, error) {
	if len(g.missing) > 0 {
		more := ""
		if len(g.missing) > 1 {
			more = fmt.Sprintf(" (and %d more)", len(g.missing)-1)
		}
		return nil, fmt.Errorf("dependency graph: %s%s: %w", g.missing[0], more, ErrUnknownTarget)
	}
	n := len(g.ids)
	left := make([]int, n)  // unresolved dependencies per vertex
	level := make([]int, n) // layer of each vertex
	queue := make([]int, 0, n)
	for i := range g.deps {
		left[i] = len(g.deps[i])
		if left[i] == 0 {
			queue = append(queue, i)
		}
	}
	depth := 0
	for h := 0; h < len(queue); h++ {
		j := queue[h]
		if level[j]+1 > depth {
			depth = level[j] + 1
		}
		for _, i := range g.rdeps[j] {
			if level[j]+1 > level[i] {
				level[i] = level[j] + 1
			}
			left[i]--
			if left[i] == 0 {
				queue = append(queue, i)
			}
		}
	}
	if len(queue) < n {
		return nil, g.cycle(left)
	}
	sizes := make([]int, depth)
	for _, l := range level {
		sizes[l]++
	}
	backing := make([]int, 0, n)
	layers := make([][]int, depth)
	for k, sz := range sizes {
		layers[k] = backing[len(backing) : len(backing) : len(backing)+sz]
		backing = backing[:len(backing)+sz]
	}
	for i, l := range level {
		layers[l] = append(layers[l], i)
	}
	return layers, nil
}

// cycle finds one cycle among the vertices Kahn's algorithm could not
// resolve (left > 0): each of them waits for another unresolved vertex,
// so walking such dependencies must come back to a visited vertex.
func (g *Graph) cycle(left []int) error {
	start := -1
	for i, l := range left {
		if l > 0 {
			start = i
			break
		}
	}
	pos := make(map[int]int)
	var path []int
	for v := start; ; {
		if at, seen := pos[v]; seen {
			ids := make([]string, 0, len(path)-at+1)
			for _, x := range path[at:] {
				ids = append(ids, g.ids[x])
			}
			ids = append(ids, g.ids[v])
			return &CycleError{Path: ids}
		}
		pos[v] = len(path)
		path = append(path, v)
		next := -1
		for _, d := range g.deps[v] {
			if left[d] > 0 {
				next = d
				break
			}
		}
		if next < 0 { // cannot happen: v was unresolved
			return &CycleError{Path: []string{g.ids[v]}}
		}
		v = next
	}
}
