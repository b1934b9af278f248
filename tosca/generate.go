package tosca

import (
	"fmt"
	"strings"
)

// Shape is the dependency shape of a generated layered blueprint.
type Shape string

const (
	// ShapeOne: each node depends on one node of the previous layer.
	ShapeOne Shape = "one"
	// ShapeAll: each node depends on every node of the previous layer.
	ShapeAll Shape = "all"
)

// LayeredOptions describe a generated blueprint for benchmarks.
type LayeredOptions struct {
	Nodes int   // node templates in total
	Shape Shape // ShapeOne or ShapeAll
	Width int   // nodes per layer (0: 10)
	// CreateScript, when set, becomes every node's
	// cloudify.interfaces.lifecycle.create implementation (a path relative
	// to the blueprint folder; the caller writes the file), run with
	// executor central_deployment_agent.
	CreateScript string
}

// GenerateLayered returns a blueprint of n cloudify.nodes.Root templates in
// layers 10 wide; each node depends on one node (ShapeOne) or on all ten
// nodes (ShapeAll) of the previous layer. It imports the built-in types.
func GenerateLayered(n int, shape Shape) []byte {
	return GenerateLayeredWith(LayeredOptions{Nodes: n, Shape: shape})
}

// LayeredNodeName is the name GenerateLayered gives node i of layer l.
func LayeredNodeName(layer, i int) string { return fmt.Sprintf("n%d_%d", layer, i) }

// GenerateLayeredWith is GenerateLayered with options.
func GenerateLayeredWith(o LayeredOptions) []byte {
	w := o.Width
	if w <= 0 {
		w = 10
	}
	var b strings.Builder
	b.Grow(o.Nodes * 200)
	b.WriteString("tosca_definitions_version: cloudify_dsl_1_3\n")
	b.WriteString("imports:\n  - http://www.getcloudify.org/spec/cloudify/4.3.3/types.yaml\n")
	b.WriteString("node_templates:\n")
	for k := 0; k < o.Nodes; k++ {
		layer, i := k/w, k%w
		fmt.Fprintf(&b, "  %s:\n    type: cloudify.nodes.Root\n", LayeredNodeName(layer, i))
		if o.CreateScript != "" {
			fmt.Fprintf(&b, "    interfaces:\n      cloudify.interfaces.lifecycle:\n        create:\n          implementation: %s\n          executor: central_deployment_agent\n", o.CreateScript)
		}
		if layer == 0 {
			continue
		}
		b.WriteString("    relationships:\n")
		prevWidth := w
		if o.Shape == ShapeAll {
			for j := 0; j < prevWidth; j++ {
				fmt.Fprintf(&b, "      - {type: cloudify.relationships.depends_on, target: %s}\n", LayeredNodeName(layer-1, j))
			}
		} else {
			fmt.Fprintf(&b, "      - {type: cloudify.relationships.depends_on, target: %s}\n", LayeredNodeName(layer-1, i))
		}
	}
	return []byte(b.String())
}
