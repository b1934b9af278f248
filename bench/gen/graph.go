package main

import (
	"errors"
	"fmt"
)

// Shape names how many nodes of the previous layer a node depends on.
type Shape string

const (
	// ShapeOne: node i depends on node i of the previous layer.
	ShapeOne Shape = "one"
	// ShapeAll: node i depends on FanIn nodes of the previous layer.
	ShapeAll Shape = "all"
)

// ErrBadGraph is returned for graph options that cannot be generated.
var ErrBadGraph = errors.New("bad graph options")

// Options describe a layered graph.
type Options struct {
	Nodes  int   // nodes in total; a multiple of Layers
	Layers int   // number of layers
	Shape  Shape // ShapeOne or ShapeAll
	FanIn  int   // dependencies per node in ShapeAll (capped at the layer width)
}

// Graph is a generated layered graph: node names and, per node, the names
// of the nodes it depends on.
type Graph struct {
	Width int        // nodes per layer
	Names []string   // node k is node k%Width of layer k/Width
	Deps  [][]string // Deps[k]: the nodes node k depends on
}

// NodeName is the name of node i of layer l.
func NodeName(layer, i int) string { return fmt.Sprintf("n%d_%d", layer, i) }

// Build checks the options and builds the graph.
func Build(o Options) (*Graph, error) {
	switch {
	case o.Layers <= 0:
		return nil, fmt.Errorf("%w: layers must be positive, got %d", ErrBadGraph, o.Layers)
	case o.Nodes < o.Layers:
		return nil, fmt.Errorf("%w: %d nodes cannot fill %d layers", ErrBadGraph, o.Nodes, o.Layers)
	case o.Nodes%o.Layers != 0:
		return nil, fmt.Errorf("%w: %d nodes is not a multiple of %d layers", ErrBadGraph, o.Nodes, o.Layers)
	case o.Shape != ShapeOne && o.Shape != ShapeAll:
		return nil, fmt.Errorf("%w: shape %q (want %q or %q)", ErrBadGraph, o.Shape, ShapeOne, ShapeAll)
	case o.Shape == ShapeAll && o.FanIn <= 0:
		return nil, fmt.Errorf("%w: fan-in must be positive, got %d", ErrBadGraph, o.FanIn)
	}
	w := o.Nodes / o.Layers
	fan := 1
	if o.Shape == ShapeAll {
		fan = min(o.FanIn, w)
	}
	g := &Graph{Width: w, Names: make([]string, o.Nodes), Deps: make([][]string, o.Nodes)}
	for k := range o.Nodes {
		layer, i := k/w, k%w
		g.Names[k] = NodeName(layer, i)
		if layer == 0 {
			continue
		}
		deps := make([]string, fan)
		for j := range fan {
			deps[j] = NodeName(layer-1, (i+j)%w)
		}
		g.Deps[k] = deps
	}
	return g, nil
}

// Edges is the number of dependency edges.
func (g *Graph) Edges() int {
	n := 0
	for _, d := range g.Deps {
		n += len(d)
	}
	return n
}
