package tosca

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func benchParsePrepare(b *testing.B, n int, shape Shape) {
	dir := b.TempDir()
	path := filepath.Join(dir, "blueprint.yaml")
	if err := os.WriteFile(path, GenerateLayered(n, shape), 0o600); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		bp, probs := Parse(path, Options{})
		if len(probs) > 0 {
			b.Fatal(probs)
		}
		plan, probs := bp.Prepare(nil)
		if len(probs) > 0 {
			b.Fatal(probs)
		}
		if len(plan.Nodes) != n {
			b.Fatalf("%d nodes, want %d", len(plan.Nodes), n)
		}
	}
}

// BenchmarkParsePrepare parses and prepares generated layered blueprints
// (targets: 1,000 nodes "one" <= 50 ms, "all" <= 100 ms).
func BenchmarkParsePrepare(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		for _, shape := range []Shape{ShapeOne, ShapeAll} {
			b.Run(fmt.Sprintf("%s/%d", shape, n), func(b *testing.B) { benchParsePrepare(b, n, shape) })
		}
	}
}
