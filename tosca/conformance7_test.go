package tosca_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/internal/testcorpus"
	"github.com/gantryhq/gantry/tosca"
	"github.com/gantryhq/gantry/tosca/plan"
)

// The manager-7 conformance ratchet: the scores below are what Gantry
// reached when they were last raised. The test fails when a change makes
// Gantry agree with Cloudify 7 on fewer blueprints; raise them as it
// agrees on more (the goal: verdicts on >= 98% of the judged blueprints,
// plans on >= 95% of those Cloudify accepts).
const (
	manager7MinVerdicts = 238
	manager7MinPlans    = 236
	// with Gantry's built-in types (no --resources-dir)
	manager7BuiltinMinVerdicts = 238
	manager7BuiltinMinPlans    = 236
)

// oracle7 is an expected/manager-7/*.json file (cloudify-common 7.1's
// dsl_parser run as a manager runs it; see manager-7/README.md).
type oracle7 struct {
	OK         *bool          `json:"ok"`
	Verdict    string         `json:"verdict"`
	ErrorClass string         `json:"error_class"`
	Inputs     map[string]any `json:"inputs"`
	Error      *struct {
		Type    string `json:"type"`
		Code    any    `json:"err_code"`
		Message string `json:"message"`
	} `json:"error"`
	Nodes []struct {
		ID               string  `json:"id"`
		Type             string  `json:"type"`
		HostID           *string `json:"host_id"`
		PlannedInstances int     `json:"planned_instances"`
		Relationships    []struct {
			Type     string `json:"type"`
			TargetID string `json:"target_id"`
		} `json:"relationships"`
	} `json:"nodes"`
	NodeInstances []struct {
		NodeID string `json:"node_id"`
	} `json:"node_instances"`
	Workflows []string `json:"workflows"`
}

// manager7Options are the options a 7.x manager's resolution maps to.
func manager7Options(root string) tosca.Options {
	m7 := filepath.Join(root, "manager-7")
	spec := filepath.Join(m7, "resources", "spec") + "/"
	mirror := filepath.Join(m7, "spec-mirror") + "/"
	var rules []tosca.ImportRule
	for _, scheme := range []string{"http", "https"} {
		for _, host := range []string{"www.getcloudify.org", "getcloudify.org", "cloudify.co", "www.cloudify.co"} {
			rules = append(rules, tosca.ImportRule{Prefix: scheme + "://" + host + "/spec/", Dir: spec})
		}
	}
	rules = append(rules,
		tosca.ImportRule{Prefix: "https://github.com/cloudify-cosmo/cloudify-openstack-plugin/releases/download/", Dir: mirror + "openstack-plugin/"},
		tosca.ImportRule{Prefix: "http://github.com/cloudify-cosmo/cloudify-openstack-plugin/releases/download/", Dir: mirror + "openstack-plugin/"},
	)
	return tosca.Options{
		ImportRules:  rules,
		ResourcesDir: filepath.Join(m7, "resources"),
		PluginsDir:   filepath.Join(m7, "plugin-catalog"),
	}
}

// manager7Outcome is what Gantry says of one corpus blueprint.
type manager7Outcome struct {
	name          string
	nonNull       bool // Cloudify resolved every import
	judged        bool // Cloudify's verdict is a language verdict
	verdictAgrees bool
	accepted      bool // Cloudify accepts it
	planAgrees    bool
	why           string
}

func runManager7(t *testing.T, root, expFile string, opts tosca.Options) manager7Outcome {
	name := strings.TrimSuffix(filepath.Base(expFile), ".json")
	out := manager7Outcome{name: name}
	data, err := os.ReadFile(expFile)
	require.NoError(t, err)
	var exp oracle7
	require.NoError(t, json.Unmarshal(data, &exp), expFile)
	if exp.OK == nil {
		return out
	}
	out.nonNull = true
	out.judged = *exp.OK || exp.ErrorClass == "language"
	out.accepted = *exp.OK
	bp := filepath.Join(root, "manager-7", "dsl", strings.ReplaceAll(name, "__", string(filepath.Separator))+".yaml")
	b, probs := tosca.Parse(bp, opts)
	var p *tosca.Plan
	if len(probs) == 0 {
		p, probs = b.Prepare(exp.Inputs)
	}
	gantryOK := len(probs) == 0
	out.verdictAgrees = gantryOK == *exp.OK
	switch {
	case !out.verdictAgrees && gantryOK:
		out.why = fmt.Sprintf("Gantry accepts; Cloudify: %+v", exp.Error)
		return out
	case !out.verdictAgrees:
		out.why = "Gantry rejects: " + probs[0].String()
		if len(probs) > 1 {
			out.why += fmt.Sprintf(" (+%d more)", len(probs)-1)
		}
		return out
	case !gantryOK:
		return out
	}
	out.why = comparePlan7(&exp, p)
	out.planAgrees = out.why == ""
	return out
}

// comparePlan7 compares Gantry's plan with Cloudify's: nodes (type, host,
// planned instances, relationships), instances per node, workflows. It
// returns "" when they agree.
func comparePlan7(exp *oracle7, p *tosca.Plan) string {
	type nodeT struct {
		Type, HostID string
		Planned      int
		Rels         []string
	}
	want, got := map[string]nodeT{}, map[string]nodeT{}
	for _, n := range exp.Nodes {
		nt := nodeT{Type: n.Type, Planned: n.PlannedInstances}
		if n.HostID != nil {
			nt.HostID = *n.HostID
		}
		for _, r := range n.Relationships {
			nt.Rels = append(nt.Rels, r.Type+">"+r.TargetID)
		}
		want[n.ID] = nt
	}
	for _, n := range p.Nodes {
		nt := nodeT{Type: n.Type, HostID: n.HostID, Planned: n.PlannedInstances}
		for _, r := range n.Relationships {
			nt.Rels = append(nt.Rels, r.Type+">"+r.TargetID)
		}
		got[n.ID] = nt
	}
	if !assert.ObjectsAreEqual(want, got) {
		return fmt.Sprintf("nodes differ: want %v, got %v", want, got)
	}
	if err := plan.Expand(p, plan.Options{Seed: 1}); err != nil {
		return "expand: " + err.Error()
	}
	wantCount, gotCount := map[string]int{}, map[string]int{}
	for _, ni := range exp.NodeInstances {
		wantCount[ni.NodeID]++
	}
	for _, ni := range p.NodeInstances {
		gotCount[ni.NodeID]++
	}
	if !assert.ObjectsAreEqual(wantCount, gotCount) {
		return fmt.Sprintf("instances per node differ: want %v, got %v", wantCount, gotCount)
	}
	var have []string
	for w := range p.Workflows {
		have = append(have, w)
	}
	sort.Strings(have)
	wantWf := append([]string(nil), exp.Workflows...)
	sort.Strings(wantWf)
	if !assert.ObjectsAreEqual(wantWf, have) {
		return fmt.Sprintf("workflows differ: want %v, got %v", wantWf, have)
	}
	return ""
}

// manager7Score is how far Gantry agrees with Cloudify 7 over the corpus.
type manager7Score struct {
	judged, verdicts, accepted, plans, nonNull, nonNullAgree int
}

func (sc manager7Score) String() string {
	pct := func(a, b int) float64 { return 100 * float64(a) / float64(max(b, 1)) }
	return fmt.Sprintf("verdicts agree on %d of %d judged blueprints (%.1f%%); plans match on %d of %d accepted (%.1f%%); verdicts agree on %d of %d resolvable",
		sc.verdicts, sc.judged, pct(sc.verdicts, sc.judged), sc.plans, sc.accepted, pct(sc.plans, sc.accepted), sc.nonNullAgree, sc.nonNull)
}

func scoreManager7(t *testing.T, root string, opts tosca.Options) manager7Score {
	files, err := filepath.Glob(filepath.Join(root, "expected", "manager-7", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var sc manager7Score
	for _, f := range files {
		o := runManager7(t, root, f, opts)
		if o.nonNull {
			sc.nonNull++
			if o.verdictAgrees {
				sc.nonNullAgree++
			}
		}
		if !o.judged {
			continue
		}
		sc.judged++
		if o.verdictAgrees {
			sc.verdicts++
		}
		if o.accepted {
			sc.accepted++
			if o.planAgrees {
				sc.plans++
			}
		}
		if o.why != "" && testing.Verbose() {
			t.Logf("%s: %s", o.name, o.why)
		}
	}
	return sc
}

// TestConformanceManager7 scores Gantry against Cloudify 7's parser on the
// manager-7 corpus, resolving imports as the manager did (--resources-dir,
// --plugins-dir, import rules onto resources/spec and spec-mirror), and
// fails when the score falls below the ratchet. Run with -v to see every
// disagreement.
func TestConformanceManager7(t *testing.T) {
	root := testcorpus.Dir(t)
	sc := scoreManager7(t, root, manager7Options(root))
	t.Logf("manager-7 conformance: %s", sc)
	assert.GreaterOrEqual(t, sc.verdicts, manager7MinVerdicts, "the verdict score fell: fix the regression")
	assert.GreaterOrEqual(t, sc.plans, manager7MinPlans, "the plan score fell: fix the regression")
}

// TestConformanceManager7BuiltinTypes scores the same corpus with Gantry's
// built-in types instead of the manager's types files (no
// --resources-dir): what a user without a Cloudify manager's resources
// gets: the built-in types declare Cloudify 7's types and workflows (those
// the engine cannot run are refused or dropped when checked for install).
func TestConformanceManager7BuiltinTypes(t *testing.T) {
	root := testcorpus.Dir(t)
	opts := manager7Options(root)
	opts.ResourcesDir = ""
	sc := scoreManager7(t, root, opts)
	t.Logf("manager-7 conformance with Gantry's built-in types: %s", sc)
	assert.GreaterOrEqual(t, sc.verdicts, manager7BuiltinMinVerdicts, "the verdict score fell: fix the regression")
	assert.GreaterOrEqual(t, sc.plans, manager7BuiltinMinPlans, "the plan score fell: fix the regression")
}
