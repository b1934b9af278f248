package tosca

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/internal/testcorpus"
)

// corpusDir finds the corpus (internal/testcorpus).
func corpusDir(t testing.TB) string { return testcorpus.Dir(t) }

type expectedPlan struct {
	OK     bool           `json:"ok"`
	Inputs map[string]any `json:"inputs"`
	Error  *struct {
		Message string `json:"message"`
		Type    string `json:"type"`
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
	Workflows []string `json:"workflows"`
}

// deliberateDifferences lists corpus files where Gantry's verdict differs
// from Cloudify's oracle on purpose, and why.
var deliberateDifferences = map[string]string{
	// The oracle ran Cloudify in local mode, where get_secret is unsupported
	// ("The get_secret intrinsic function is not supported"). Gantry has a
	// secret store and supports get_secret everywhere: the blueprint is valid.
	"secret-ssh-key-in-existing-vm.yaml": "get_secret is supported by Gantry",
}

// Workflows that Cloudify 5+/7 adds on its own (the oracle is cloudify-common
// 7.1); Gantry's plan has the workflows of the imported types.yaml.
var oracleOnlyWorkflows = map[string]bool{"check_drift": true, "check_status": true, "pull": true, "reinstall": true,
	"rollback": true, "validate_agents": true, "start": true, "stop": true, "restart": true}

func TestConformanceManager433(t *testing.T) {
	root := corpusDir(t)
	dir := filepath.Join(root, "manager-4.3.3")
	opts := Options{ImportRules: []ImportRule{{Prefix: "http://www.getcloudify.org/spec/", Dir: filepath.Join(root, "spec") + "/"}}}
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	checked := 0
	for _, f := range files {
		name := filepath.Base(f)
		expFile := filepath.Join(root, "expected", "manager-4.3.3", strings.TrimSuffix(name, ".yaml")+".json")
		data, err := os.ReadFile(expFile)
		if err != nil {
			continue // an imported helper file, not a blueprint of its own
		}
		checked++
		t.Run(name, func(t *testing.T) {
			var exp expectedPlan
			require.NoError(t, json.Unmarshal(data, &exp))
			bp, probs := Parse(f, opts)
			var plan *Plan
			if len(probs) == 0 {
				plan, probs = bp.Prepare(exp.Inputs)
			}
			gantryOK := len(probs) == 0
			if why, ok := deliberateDifferences[name]; ok {
				assert.NotEqual(t, exp.OK, gantryOK, "deliberate difference no longer differs (%s)", why)
				return
			}
			if !assert.Equal(t, exp.OK, gantryOK, "verdict; oracle error %+v; gantry problems:\n%v", exp.Error, probs) || !exp.OK {
				return
			}
			type relT struct{ Type, Target string }
			type nodeT struct {
				Type    string
				HostID  string
				Planned int
				Rels    []relT
			}
			want := map[string]nodeT{}
			for _, n := range exp.Nodes {
				nt := nodeT{Type: n.Type, Planned: n.PlannedInstances}
				if n.HostID != nil {
					nt.HostID = *n.HostID
				}
				for _, r := range n.Relationships {
					nt.Rels = append(nt.Rels, relT{r.Type, r.TargetID})
				}
				want[n.ID] = nt
			}
			got := map[string]nodeT{}
			for _, n := range plan.Nodes {
				nt := nodeT{Type: n.Type, HostID: n.HostID, Planned: n.PlannedInstances}
				for _, r := range n.Relationships {
					nt.Rels = append(nt.Rels, relT{r.Type, r.TargetID})
				}
				got[n.ID] = nt
			}
			assert.Equal(t, want, got)
			var custom []string
			for _, w := range exp.Workflows {
				if !oracleOnlyWorkflows[w] {
					custom = append(custom, w)
				}
			}
			var have []string
			for w := range plan.Workflows {
				if !oracleOnlyWorkflows[w] && w != "update" {
					have = append(have, w)
				}
			}
			sort.Strings(have)
			sort.Strings(custom)
			assert.Equal(t, custom, have, "workflows")
		})
	}
	assert.Greater(t, checked, 90)
}
