package manager_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/store"
)

// TestModificationKilledAtSwitch kills gantry (SIGKILL, at a kill point of
// the gantry_killpoints build) when a deployment update's or a scale's
// workflow has ended: before its switch is written, and after the switch
// committed without the execution's end (what a store committing a big
// transaction in parts may leave). After a restart (a resume, or a mere
// read), the execution is terminated, the deployment took the change once
// (blueprint, plan, the right instances), no operation ran again and the
// store is consistent.
func TestModificationKilledAtSwitch(t *testing.T) {
	bin := buildGantry(t, "gantry_killpoints")
	ops := []string{"create", "configure", "start"}
	for _, tc := range []struct {
		name, point string
		update      bool
		// restart is what the new process runs ("" for the execution id).
		restart []string
	}{
		{name: "update/before-switch", point: "before-switch", update: true, restart: []string{"executions", "resume", ""}},
		{name: "update/after-switch", point: "after-switch", update: true, restart: []string{"executions", "get", ""}},
		{name: "scale/before-switch", point: "before-switch", restart: []string{"executions", "resume", ""}},
		{name: "scale/after-switch", point: "after-switch", restart: []string{"executions", "list", "-d", "sw"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			work := t.TempDir()
			logFile := filepath.Join(work, "ops.log")
			g := newGantryEnv(t, bin, "LOG="+logFile)
			v1, v2 := filepath.Join(work, "v1"), filepath.Join(work, "v2")
			layeredBlueprint(t, v1, 1, 2, ops, killScript) // n0_0, n0_1
			layeredBlueprint(t, v2, 2, 1, ops, killScript) // n0_0 kept, n0_1 removed, n1_0 added
			r := g.run(t, "install", v1, "-d", "sw", "-b", "v1", "--seed", "1")
			require.Equal(t, 0, r.code, "install: %s", r)
			r = g.run(t, "blueprints", "upload", v2, "-b", "v2")
			require.Equal(t, 0, r.code, "upload: %s", r)
			ctx := context.Background()
			st := g.openStore(t)
			kept := instanceIDsOf(t, st, "sw", "n0_0")
			removed := instanceIDsOf(t, st, "sw", "n0_1")
			require.NoError(t, st.Close())

			args := []string{"executions", "start", "scale", "-d", "sw", "-p", "scalable_entity_name=n0_0", "-p", "delta=2"}
			if tc.update {
				args = []string{"deployments", "update", "sw", "-b", "v2"}
			}
			killed := *g
			killed.env = append(append([]string{}, g.env...), "GANTRY_KILL_POINT="+tc.point)
			r = killed.run(t, args...)
			require.Equal(t, -1, r.code, "gantry was not killed at %s: %s", tc.point, r)
			logged, err := os.ReadFile(logFile)
			require.NoError(t, err)

			st = g.openStore(t)
			execs, err := st.ListExecutions(ctx, "sw")
			require.NoError(t, err)
			e := execs[len(execs)-1]
			require.Equal(t, store.ExecutionStarted, e.Status, "the killed run recorded no end")
			if tc.update {
				require.Len(t, e.ScaleAdded, 1)
			} else {
				require.Len(t, e.ScaleAdded, 2)
			}
			d, err := st.GetDeployment(ctx, "sw")
			require.NoError(t, err)
			if tc.point == "before-switch" {
				require.Equal(t, "v1", d.BlueprintID)
				require.Empty(t, d.ModifiedBy)
			} else {
				require.Equal(t, e.ID, d.ModifiedBy, "the switch committed")
			}
			require.NoError(t, st.Close())

			restart := append([]string{}, tc.restart...)
			for i, a := range restart {
				if a == "" {
					restart[i] = e.ID
				}
			}
			r = g.run(t, restart...)
			require.Equal(t, 0, r.code, "%s: %s", strings.Join(restart, " "), r)
			after, err := os.ReadFile(logFile)
			require.NoError(t, err)
			require.Equal(t, string(logged), string(after), "an operation ran again after the restart")

			st = g.openStore(t)
			e2, err := st.GetExecution(ctx, e.ID)
			require.NoError(t, err)
			require.Equal(t, store.ExecutionTerminated, e2.Status, e2.Error)
			d, err = st.GetDeployment(ctx, "sw")
			require.NoError(t, err)
			require.Equal(t, e.ID, d.ModifiedBy)
			insts, err := st.ListNodeInstances(ctx, "sw", "")
			require.NoError(t, err)
			for _, ni := range insts {
				require.Equal(t, store.StateStarted, ni.State, ni.ID)
			}
			if tc.update {
				require.Equal(t, "v2", d.BlueprintID)
				require.Len(t, d.Plan.Nodes, 2)
				require.Equal(t, kept, instanceIDsOf(t, st, "sw", "n0_0"))
				require.Empty(t, instanceIDsOf(t, st, "sw", "n0_1"), "the removed node's instance %v is deleted", removed)
				require.Equal(t, e.ScaleAdded, instanceIDsOf(t, st, "sw", "n1_0"))
				require.Len(t, insts, 2)
			} else {
				require.Equal(t, "v1", d.BlueprintID)
				ids := instanceIDsOf(t, st, "sw", "n0_0")
				require.Len(t, ids, 3)
				require.Subset(t, ids, append(kept, e.ScaleAdded...))
				for _, nd := range d.Plan.Nodes {
					if nd.ID == "n0_0" {
						require.Equal(t, 3, nd.PlannedInstances, "the plan records the scale once")
					}
				}
			}
			require.NoError(t, st.Close())
			g.requireConsistent(t)
		})
	}
}
