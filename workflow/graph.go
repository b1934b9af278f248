package workflow

import (
	"fmt"
	"strings"

	"github.com/gantryhq/gantry/tosca"
)

// TaskKind says what a task does.
type TaskKind uint8

// Task kinds.
const (
	// KindOperation dispatches an operation to a plugin.
	KindOperation TaskKind = iota
	// KindSetState persists a node instance state.
	KindSetState
	// KindNop only passes ordering on (e.g. the barrier between the two
	// halves of heal).
	KindNop
)

func (k TaskKind) String() string {
	switch k {
	case KindOperation:
		return "op"
	case KindSetState:
		return "state"
	}
	return "nop"
}

// Side is which end of a relationship a relationship operation runs on.
type Side string

// Relationship operation sides.
const (
	SideNone   Side = ""
	SideSource Side = "source"
	SideTarget Side = "target"
)

// Task is one node of the task graph. Its ID is stable: rebuilding the
// graph of the same execution gives every task the same ID, which is what
// resume relies on.
type Task struct {
	ID         string
	Kind       TaskKind
	InstanceID string // the instance the task belongs to (the source for relationship ops)
	NodeID     string
	// Operation is the operation name (KindOperation).
	Operation string
	// State is the state to set (KindSetState).
	State string
	// Side, RelIndex and TargetInstanceID identify a relationship
	// operation: the index into the source instance's relationships.
	Side             Side
	RelIndex         int
	TargetInstanceID string
	// IgnoreFailure makes a failure of the task not fail the workflow.
	IgnoreFailure bool
	// PollUntilTrue re-runs the operation until it returns true, ignoring
	// retry limits (cloudify.interfaces.host.get_state).
	PollUntilTrue bool
	// Kwargs are extra inputs (execute_operation's operation_kwargs).
	Kwargs              map[string]any
	AllowKwargsOverride bool
	// WorkflowScript marks the task that runs a custom workflow's script.
	WorkflowScript bool

	op   *tosca.Operation
	deps []int32
	succ []int32
}

// Deps returns the indexes of the tasks this task waits for.
func (t *Task) Deps() []int32 { return t.deps }

// Graph is a workflow's task DAG.
type Graph struct {
	Workflow string
	Tasks    []*Task
	ids      map[string]int32
	edges    map[[2]int32]struct{}
}

func newGraph(workflow string) *Graph {
	return &Graph{Workflow: workflow, ids: map[string]int32{}, edges: map[[2]int32]struct{}{}}
}

// Len returns the number of tasks.
func (g *Graph) Len() int { return len(g.Tasks) }

// Lookup returns the task with the given ID.
func (g *Graph) Lookup(id string) (*Task, bool) {
	i, ok := g.ids[id]
	if !ok {
		return nil, false
	}
	return g.Tasks[i], true
}

// OperationCount returns how many operation tasks the graph holds.
func (g *Graph) OperationCount() int {
	n := 0
	for _, t := range g.Tasks {
		if t.Kind == KindOperation {
			n++
		}
	}
	return n
}

func (g *Graph) add(t *Task) (int32, error) {
	if _, dup := g.ids[t.ID]; dup {
		return 0, fmt.Errorf("task graph: duplicate task %q", t.ID)
	}
	i := int32(len(g.Tasks))
	g.Tasks = append(g.Tasks, t)
	g.ids[t.ID] = i
	return i, nil
}

// dep makes task `from` wait for task `on`. Duplicate edges are ignored.
func (g *Graph) dep(from, on int32) {
	k := [2]int32{from, on}
	if _, dup := g.edges[k]; dup {
		return
	}
	g.edges[k] = struct{}{}
	g.Tasks[from].deps = append(g.Tasks[from].deps, on)
	g.Tasks[on].succ = append(g.Tasks[on].succ, from)
}

// check verifies that the graph is acyclic (Kahn's algorithm).
func (g *Graph) check() error {
	indeg := make([]int32, len(g.Tasks))
	for i, t := range g.Tasks {
		indeg[i] = int32(len(t.deps))
	}
	queue := make([]int32, 0, len(g.Tasks))
	for i, d := range indeg {
		if d == 0 {
			queue = append(queue, int32(i))
		}
	}
	seen := 0
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		seen++
		for _, s := range g.Tasks[i].succ {
			indeg[s]--
			if indeg[s] == 0 {
				queue = append(queue, s)
			}
		}
	}
	if seen != len(g.Tasks) {
		var stuck []string
		for i, d := range indeg {
			if d > 0 && len(stuck) < 5 {
				stuck = append(stuck, g.Tasks[i].ID)
			}
		}
		return fmt.Errorf("task graph of %s has a cycle (involving %s)", g.Workflow, strings.Join(stuck, ", "))
	}
	return nil
}

// Dump renders the graph as stable text: one line per task in build
// order, with the tasks it waits for.
func (g *Graph) Dump() string {
	var b strings.Builder
	fmt.Fprintf(&b, "graph %s: %d tasks\n", g.Workflow, len(g.Tasks))
	for _, t := range g.Tasks {
		b.WriteString(t.ID)
		if t.IgnoreFailure {
			b.WriteString(" [ignore_failure]")
		}
		if t.PollUntilTrue {
			b.WriteString(" [poll]")
		}
		if len(t.deps) > 0 {
			b.WriteString(" <- ")
			for i, d := range t.deps {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(g.Tasks[d].ID)
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}
