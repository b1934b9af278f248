package plan

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/gantryhq/gantry/tosca"
)

// layeredPlan: `layers` layers of `width` nodes; each node of layer k>0
// depends on one node (shape "one") or on every node (shape "all") of a
// ten-node window of layer k-1. One instance each.
func layeredPlan(layers, width int, all bool) *tosca.Plan {
	var nodes []*tosca.Node
	name := func(l, i int) string { return fmt.Sprintf("n%d_%d", l, i) }
	for l := 0; l < layers; l++ {
		for i := 0; i < width; i++ {
			var rels []*tosca.Relationship
			if l > 0 {
				if all {
					base := (i / 10) * 10
					for j := base; j < base+10 && j < width; j++ {
						rels = append(rels, mkRel("depends_on", name(l-1, j)))
					}
				} else {
					rels = append(rels, mkRel("depends_on", name(l-1, i)))
				}
			}
			nodes = append(nodes, mkNode(name(l, i), 1, rels...))
		}
	}
	return mkPlan(nodes...)
}

// hostsPlan: `templates` host templates with `hosts` instances each, each
// hosting a child template with `children` instances per host that is
// connected to one shared database.
func hostsPlan(templates, hosts, children int) *tosca.Plan {
	nodes := []*tosca.Node{mkNode("db", 1)}
	for k := 0; k < templates; k++ {
		h := fmt.Sprintf("host%d", k)
		nodes = append(nodes, mkHost(h, hosts),
			mkNode(fmt.Sprintf("app%d", k), children, mkRel("contained_in", h), mkRel("connected_to", "db")))
	}
	return mkPlan(nodes...)
}

func BenchmarkExpand(b *testing.B) {
	cases := []struct {
		name string
		plan func() *tosca.Plan
	}{
		{"templates=10000/shape=one", func() *tosca.Plan { return layeredPlan(10, 1000, false) }},
		{"templates=10000/shape=all", func() *tosca.Plan { return layeredPlan(10, 1000, true) }},
		{"instances=100k/1000hostsx100", func() *tosca.Plan { return hostsPlan(1, 1000, 100) }},
		{"instances=100k/1000templatesx100", func() *tosca.Plan { return hostsPlan(1000, 1, 100) }},
		{"instances=100k/scalinggroup", func() *tosca.Plan {
			p := mkPlan(mkHost("vm", 1), mkNode("app", 99, mkRel("contained_in", "vm")),
				mkNode("db", 1, mkRel("connected_to", "vm")))
			p.ScalingGroups["g"] = mkGroup(1000, "vm", "db")
			return p
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			p := c.plan()
			b.ReportAllocs()
			var instances, rels int
			var heap uint64
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				p.NodeInstances = nil
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				b.StartTimer()
				if err := Expand(p, Options{Seed: int64(i + 1)}); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				runtime.ReadMemStats(&after)
				heap = after.HeapAlloc - before.HeapAlloc
				instances, rels = len(p.NodeInstances), 0
				for _, ni := range p.NodeInstances {
					rels += len(ni.Relationships)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(instances), "instances")
			b.ReportMetric(float64(rels), "relationships")
			b.ReportMetric(float64(heap)/(1<<20), "MB-live")
		})
	}
}

func BenchmarkGraphLayers(b *testing.B) {
	p := hostsPlan(1, 1000, 100)
	if err := Expand(p, Options{Seed: 1}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := BuildGraph(p).Layers(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkModify(b *testing.B) {
	p := hostsPlan(1, 1000, 100)
	if err := Expand(p, Options{Seed: 1}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Modify(p, []Change{{Name: "host0", Delta: 10}}, Options{Seed: 2}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParsePlan is the whole path from blueprint file to instances:
// tosca.Parse + Prepare + Expand + the dependency layers, over generated
// blueprints of 100 / 1,000 / 10,000 node templates in 10-wide layers,
// each node depending on one ("one") or all ten ("all") nodes of the
// previous layer.
func BenchmarkParsePlan(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		for _, shape := range []tosca.Shape{tosca.ShapeOne, tosca.ShapeAll} {
			b.Run(fmt.Sprintf("%s/%d", shape, n), func(b *testing.B) {
				path := filepath.Join(b.TempDir(), "blueprint.yaml")
				if err := os.WriteFile(path, tosca.GenerateLayered(n, shape), 0o600); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					bp, probs := tosca.Parse(path, tosca.Options{})
					if len(probs) > 0 {
						b.Fatal(probs)
					}
					p, probs := bp.Prepare(nil)
					if len(probs) > 0 {
						b.Fatal(probs)
					}
					if err := Expand(p, Options{Seed: 1}); err != nil {
						b.Fatal(err)
					}
					if _, err := BuildGraph(p).Layers(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkPlanOnly is this package's share of BenchmarkParsePlan: Expand
// and the dependency layers of the prepared generated blueprints.
func BenchmarkPlanOnly(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		for _, shape := range []tosca.Shape{tosca.ShapeOne, tosca.ShapeAll} {
			b.Run(fmt.Sprintf("%s/%d", shape, n), func(b *testing.B) {
				path := filepath.Join(b.TempDir(), "blueprint.yaml")
				if err := os.WriteFile(path, tosca.GenerateLayered(n, shape), 0o600); err != nil {
					b.Fatal(err)
				}
				bp, probs := tosca.Parse(path, tosca.Options{})
				if len(probs) > 0 {
					b.Fatal(probs)
				}
				p, probs := bp.Prepare(nil)
				if len(probs) > 0 {
					b.Fatal(probs)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if err := Expand(p, Options{Seed: 1}); err != nil {
						b.Fatal(err)
					}
					if _, err := BuildGraph(p).Layers(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
