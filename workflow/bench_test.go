package workflow

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gantryhq/gantry/plugins"
	"github.com/gantryhq/gantry/plugins/script"
	"github.com/gantryhq/gantry/tosca"
)

// layeredPlan has n instances in layers of the given width: instance i
// depends on instance i-width, so the graph is n/width deep (width n: all
// independent). Every instance has a create and
// a start operation of the given plugin (and script path).
func layeredPlan(n, width int, plugin, scriptPath string) *tosca.Plan {
	p := &tosca.Plan{}
	mk := func() *tosca.Operation {
		return &tosca.Operation{Plugin: plugin, Operation: plugin + ".run", ScriptPath: scriptPath, Inputs: map[string]any{}}
	}
	node := &tosca.Node{ID: "n", Name: "n", Type: tosca.TypeRoot, TypeHierarchy: []string{tosca.TypeRoot},
		Operations:    map[string]*tosca.Operation{opCreate: mk(), opStart: mk()},
		Relationships: []*tosca.Relationship{{Type: tosca.RelDependsOn, TargetID: "n", TypeHierarchy: []string{tosca.RelDependsOn}}}}
	p.Nodes = []*tosca.Node{node}
	for i := 0; i < n; i++ {
		ni := &tosca.NodeInstance{ID: fmt.Sprintf("n_%06d", i), NodeID: "n"}
		if i >= width {
			ni.Relationships = []*tosca.InstanceRelationship{{Type: tosca.RelDependsOn, TargetName: "n", TargetID: fmt.Sprintf("n_%06d", i-width)}}
		}
		p.NodeInstances = append(p.NodeInstances, ni)
	}
	return p
}

func noopRegistry() *plugins.Registry {
	reg := plugins.NewRegistry()
	_ = reg.Register("noop", plugins.Func(func(context.Context, *plugins.Context) (any, error) { return nil, nil }))
	return reg
}

// runBench runs install on a fresh state per iteration and reports the
// engine's time per task and per operation.
func runBench(b *testing.B, p *tosca.Plan, reg *plugins.Registry, newState func(b *testing.B, i int) State) {
	b.Helper()
	var tasks, opsN int
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st := newState(b, i)
		b.StartTimer()
		start := time.Now()
		res, err := Run(context.Background(), Config{State: st, Plugins: reg, CancelPollInterval: -1},
			Request{DeploymentID: "dep", ExecutionID: fmt.Sprintf("ex%d", i), Workflow: WorkflowInstall, Plan: p})
		if err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		tasks, opsN = res.Tasks, res.Operations
	}
	b.ReportMetric(float64(total.Nanoseconds())/float64(b.N*tasks), "ns/task")
	b.ReportMetric(float64(b.N*opsN)/total.Seconds(), "ops/s")
}

// BenchmarkInstallNoop measures the engine's overhead: every operation is
// dispatched to an in-process plugin that does nothing.
func BenchmarkInstallNoop(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		for _, shape := range []struct {
			name  string
			width int
		}{{"layered", 10}, {"wide", n}} {
			p := layeredPlan(n, shape.width, "noop", "")
			b.Run(fmt.Sprintf("instances=%d/%s/mem", n, shape.name), func(b *testing.B) {
				runBench(b, p, noopRegistry(), func(*testing.B, int) State { return NewMemState() })
			})
			b.Run(fmt.Sprintf("instances=%d/%s/bbolt", n, shape.name), func(b *testing.B) {
				runBench(b, p, noopRegistry(), func(b *testing.B, _ int) State { return newBoltState(b, p) })
			})
		}
	}
}

// BenchmarkInstallScriptTrue runs 1,000 script operations (500 instances,
// create and start) that do nothing: an executable linked to true, and a
// bash script calling true.
func BenchmarkInstallScriptTrue(b *testing.B) {
	dir := b.TempDir()
	truePath, err := execLookTrue()
	if err != nil {
		b.Skip(err)
	}
	if err := os.Symlink(truePath, filepath.Join(dir, "true")); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "true.sh"), []byte("true\n"), 0o755); err != nil {
		b.Fatal(err)
	}
	for _, sp := range []string{"true", "true.sh"} {
		b.Run(sp, func(b *testing.B) {
			p := layeredPlan(500, 10, "script", sp)
			p.BlueprintDir = dir
			reg := plugins.NewRegistry()
			pl, err := script.Register(reg, script.Config{})
			if err != nil {
				b.Fatal(err)
			}
			defer pl.Close()
			runBench(b, p, reg, func(*testing.B, int) State { return NewMemState() })
		})
	}
}

func execLookTrue() (string, error) {
	for _, p := range []string{"/usr/bin/true", "/bin/true"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no true binary")
}
