package plandiff

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gantryhq/gantry/tosca"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// planOf parses and prepares a test blueprint with its defaults.
func planOf(t *testing.T, path string) *tosca.Plan {
	t.Helper()
	bp, probs := tosca.Parse(path, tosca.Options{})
	if len(probs) > 0 {
		t.Fatalf("%s: %v", path, probs)
	}
	p, probs := bp.Prepare(nil)
	if len(probs) > 0 {
		t.Fatalf("%s: prepare: %v", path, probs)
	}
	return p
}

// Each case is a pair of blueprints; the golden file holds the change as
// text and as JSON.
func TestDiffGolden(t *testing.T) {
	for _, name := range []string{"nochange", "nodes", "modified", "relationships", "entries"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata", name)
			c, err := Diff(planOf(t, filepath.Join(dir, "old.yaml")), planOf(t, filepath.Join(dir, "new.yaml")))
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := c.WriteText(&got); err != nil {
				t.Fatal(err)
			}
			js, err := json.MarshalIndent(c, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got.WriteString("---\n")
			got.Write(js)
			got.WriteString("\n")
			golden := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("change differs from %s (run with -update to accept):\n%s", golden, got.String())
			}
			// Deterministic: the same plans give the same bytes again.
			again, _ := Diff(planOf(t, filepath.Join(dir, "old.yaml")), planOf(t, filepath.Join(dir, "new.yaml")))
			if js2, _ := json.MarshalIndent(again, "", "  "); !bytes.Equal(js, js2) {
				t.Error("two diffs of the same plans differ")
			}
		})
	}
}

// A plan read back from JSON (the store's form: numbers as float64)
// equals the plan it was made from.
func TestDiffOfStoredPlanIsEmpty(t *testing.T) {
	p := planOf(t, filepath.Join("testdata", "modified", "new.yaml"))
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var back tosca.Plan
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	c, err := Diff(&back, p)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Empty() {
		t.Errorf("stored plan differs from its source: %+v", c)
	}
}

func TestDiffNilPlan(t *testing.T) {
	if _, err := Diff(nil, &tosca.Plan{}); !errors.Is(err, ErrNoPlan) {
		t.Errorf("Diff(nil, ...) = %v, want ErrNoPlan", err)
	}
}

func TestMerge(t *testing.T) {
	dir := filepath.Join("testdata", "relationships")
	old, new := planOf(t, filepath.Join(dir, "old.yaml")), planOf(t, filepath.Join(dir, "new.yaml"))
	nodes := filepath.Join("testdata", "nodes")
	old.Nodes = append(old.Nodes, planOf(t, filepath.Join(nodes, "old.yaml")).Nodes[2]) // cache
	m := Merge(old, new)
	var got []string
	for _, n := range m.Nodes {
		for _, r := range n.Relationships {
			got = append(got, n.ID+"->"+r.TargetID+" "+r.Type)
		}
		if len(n.Relationships) == 0 {
			got = append(got, n.ID)
		}
	}
	want := []string{"a",
		"b->a cloudify.relationships.depends_on",
		"c->a cloudify.relationships.connected_to",
		"c->b cloudify.relationships.connected_to",
		"c->b cloudify.relationships.depends_on", // lost, appended
		"cache"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("merged plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(new.Nodes[2].Relationships) != 2 {
		t.Error("Merge modified the new plan's node")
	}
}
