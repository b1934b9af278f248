package plan

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/tosca"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// golden compares got with testdata/name, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run go test -update")
	assert.Equal(t, string(want), string(got), "golden %s differs; run go test -update and review the diff", path)
}

// samplePlan: a web tier on two VMs talking to a database, plus a
// scaling group of a load balancer VM with its proxy.
func samplePlan() *tosca.Plan {
	lb := mkHost("lb_vm", 1)
	p := mkPlan(
		mkHost("vm", 2),
		mkNode("web", 1, mkRel("contained_in", "vm"), mkRel("connected_to", "db")),
		mkNode("db", 1, mkRel("depends_on", "storage")),
		mkNode("storage", 1),
		lb,
		mkNode("proxy", 1, mkRel("contained_in", "lb_vm"), mkRel("connected_to", "web")),
	)
	p.Nodes[0].Type = "cloudify.nodes.Compute"
	p.ScalingGroups["lb_group"] = mkGroup(2, "lb_vm")
	return p
}

func TestRenderGolden(t *testing.T) {
	for _, inst := range []bool{false, true} {
		p := samplePlan()
		require.NoError(t, Expand(p, Options{Seed: 2016}))
		kind := "templates"
		if inst {
			kind = "instances"
		}
		var dot, mmd bytes.Buffer
		require.NoError(t, RenderDOT(p, &dot, RenderOptions{Instances: inst}))
		require.NoError(t, RenderMermaid(p, &mmd, RenderOptions{Instances: inst}))
		golden(t, "render/"+kind+".dot", dot.Bytes())
		golden(t, "render/"+kind+".mmd", mmd.Bytes())
	}
}

func TestRenderShowsStructure(t *testing.T) {
	p := samplePlan()
	require.NoError(t, Expand(p, Options{Seed: 1}))
	var dot, mmd bytes.Buffer
	require.NoError(t, RenderDOT(p, &dot, RenderOptions{}))
	require.NoError(t, RenderMermaid(p, &mmd, RenderOptions{}))
	d, m := dot.String(), mmd.String()
	// contained_in is nesting, never an edge.
	assert.NotContains(t, d, tosca.RelContainedIn)
	assert.NotContains(t, m, tosca.RelContainedIn)
	assert.Contains(t, d, "subgraph cluster_0 {")
	assert.Contains(t, d, `label="contained in vm"`)
	assert.Contains(t, m, `subgraph c0["contained in vm"]`)
	// connected_to solid, depends_on dashed / dotted, both labelled.
	assert.Contains(t, d, `v1 -> v2 [label="cloudify.relationships.connected_to", color=`)
	assert.Contains(t, d, `v2 -> v3 [label="cloudify.relationships.depends_on", style=dashed`)
	assert.Contains(t, m, `v1 -->|"cloudify.relationships.connected_to"| v2`)
	assert.Contains(t, m, `v2 -.->|"cloudify.relationships.depends_on"| v3`)
	// scaling groups are dashed frames.
	assert.Contains(t, d, `label="scaling group lb_group\nx2";`)
	assert.Contains(t, m, "class c6 scalinggroup")

	// Instances: 2 vms with a web each, web -> db edges from both.
	dot.Reset()
	require.NoError(t, RenderDOT(p, &dot, RenderOptions{Instances: true}))
	assert.Equal(t, 2+2*2, strings.Count(dot.String(), "cloudify.relationships.connected_to"), "2 webs -> db, each of 2 proxies -> both webs")
}

func TestRenderErrors(t *testing.T) {
	p := samplePlan()
	err := RenderDOT(p, &bytes.Buffer{}, RenderOptions{Instances: true})
	assert.ErrorIs(t, err, ErrNoInstances)
	err = RenderMermaid(mkPlan(mkNode("a", 1, mkRel("connected_to", "b"))), &bytes.Buffer{}, RenderOptions{})
	assert.ErrorIs(t, err, ErrUnknownTarget)
	assert.Error(t, RenderDOT(nil, &bytes.Buffer{}, RenderOptions{}))
}

func TestRenderEscaping(t *testing.T) {
	assert.Equal(t, `"a\"b\\c\nd"`, dotQuote("a\"b\\c\nd"))
	lines := []string{`x"<y>|&`, "z"}
	assert.Equal(t, "x#quot;#lt;y#gt;#124;#amp;<br/>z", mermaidText(lines))
	assert.Equal(t, []string{`x"<y>|&`, "z"}, lines, "input is not modified")

	n := mkNode(`we"ird`, 1)
	n.Type = `t"y\pe`
	var dot, mmd bytes.Buffer
	require.NoError(t, RenderDOT(mkPlan(n), &dot, RenderOptions{}))
	require.NoError(t, RenderMermaid(mkPlan(n), &mmd, RenderOptions{}))
	assert.Contains(t, dot.String(), `label="we\"ird\nt\"y\\pe\nx1"`)
	assert.Contains(t, mmd.String(), `v0["we#quot;ird<br/>t#quot;y\pe<br/>x1"]`)
}

func TestSummaryGolden(t *testing.T) {
	p := samplePlan()
	var before bytes.Buffer
	require.NoError(t, Summary(p, &before))
	golden(t, "summary/templates.txt", before.Bytes())
	require.NoError(t, Expand(p, Options{Seed: 2016}))
	var after bytes.Buffer
	require.NoError(t, Summary(p, &after))
	golden(t, "summary/instances.txt", after.Bytes())
	assert.Contains(t, after.String(), "1: vm x2, storage x1, lb_vm x2")
}

// TestRenderDOTIsValidGraphviz runs Graphviz over the pictures when it is
// installed (apt-get install graphviz), so syntax errors cannot hide.
func TestRenderDOTIsValidGraphviz(t *testing.T) {
	dotBin, err := exec.LookPath("dot")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("graphviz dot not installed (.ci/install.sh installs it)")
		}
		t.Skip("graphviz dot not installed (apt-get install graphviz)")
	}
	for _, inst := range []bool{false, true} {
		p := samplePlan()
		require.NoError(t, Expand(p, Options{Seed: 3}))
		var buf bytes.Buffer
		require.NoError(t, RenderDOT(p, &buf, RenderOptions{Instances: inst}))
		cmd := exec.Command(dotBin, "-Tsvg")
		cmd.Stdin = &buf
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		require.NoError(t, err, stderr.String())
		assert.Empty(t, stderr.String())
		assert.Contains(t, string(out), "<svg")
	}
}
