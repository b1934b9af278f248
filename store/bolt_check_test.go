package store

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/gantryhq/gantry/tosca"
)

// TestCheckFindsDamage damages a consistent store behind its back (raw
// bbolt writes) and expects Check to name each problem.
func TestCheckFindsDamage(t *testing.T) {
	tests := []struct {
		name   string
		damage func(tx *bolt.Tx) error
		want   string
	}{
		{"deployment record gone", func(tx *bolt.Tx) error {
			return tx.Bucket(bktDeployments).Delete([]byte("d"))
		}, `node instances of deployment "d": no such deployment`},
		{"execution record gone", func(tx *bolt.Tx) error {
			return tx.Bucket(bktExecutions).Delete([]byte("e"))
		}, `task records of execution "e": no such execution`},
		{"events of unknown execution", func(tx *bolt.Tx) error {
			_, err := tx.Bucket(bktEvents).CreateBucket([]byte("ghost"))
			return err
		}, `events of execution "ghost": no such execution`},
		{"instance of unknown node", func(tx *bolt.Tx) error {
			return putJSON(tx.Bucket(bktInstances).Bucket([]byte("d")), "node instance", []byte("web_1"),
				&NodeInstance{NodeInstance: tosca.NodeInstance{ID: "web_1", NodeID: "nope"}, DeploymentID: "d", State: StateStarted, Version: 2})
		}, `node "nope" is not in the plan`},
		{"node index entry gone", func(tx *bolt.Tx) error {
			return tx.Bucket(bktInstanceNodes).Bucket([]byte("d")).Delete(key("web", "web_1"))
		}, `node instance "web_1" of deployment "d": missing from the node index`},
		{"blueprint gone", func(tx *bolt.Tx) error {
			return tx.Bucket(bktBlueprints).Delete([]byte("bp"))
		}, `deployment "d": blueprint "bp" does not exist`},
		{"dependents index entry gone", func(tx *bolt.Tx) error {
			return tx.Bucket(bktDependents).Delete(key("d2", "d", "proxy"))
		}, "missing from the dependents index"},
		{"event record mismatched", func(tx *bolt.Tx) error {
			return putJSON(tx.Bucket(bktEvents).Bucket([]byte("e")), "event", seqKey(1), &Event{Seq: 7, ExecutionID: "e"})
		}, "record says seq 7"},
		{"kept events without a tombstone", func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists(bktDeletedEvents)
			if err == nil {
				_, err = b.CreateBucket([]byte("ghost"))
			}
			return err
		}, `kept events of deleted execution "ghost": no tombstone`},
		{"kept event mismatched", func(tx *bolt.Tx) error {
			gone := &Execution{ID: "gone", DeploymentID: "d", WorkflowID: "uninstall", Status: ExecutionTerminated}
			if err := putTombstones(tx, []*Execution{gone}, now(), DeletedExecutionTTL); err != nil {
				return err
			}
			b, err := tx.Bucket(bktDeletedEvents).CreateBucket([]byte("gone"))
			if err != nil {
				return err
			}
			return putJSON(b, "event", seqKey(1), &Event{Seq: 3, ExecutionID: "gone"})
		}, `event 1 of deleted execution "gone": record says seq 3`},
		{"token holding a secret instead of a hash", func(tx *bolt.Tx) error {
			return putJSON(tx.Bucket(bktTokens), "token", []byte("t1"), &Token{ID: "t1", Name: "ci", Role: "admin", Hash: "plain-secret"})
		}, `token "t1": token "t1": hash is not a hex SHA-256`},
		{"audit record mismatched", func(tx *bolt.Tx) error {
			return putJSON(tx.Bucket(bktAudit), "audit record", seqKey(1), &AuditRecord{Seq: 9, Principal: "p", Action: "a"})
		}, "audit record 1: record says seq 9"},
		{"importers index entry gone", func(tx *bolt.Tx) error {
			return tx.Bucket(bktBPImporters).Delete(key("bp", "app"))
		}, `blueprint importers index: entry "bp" -> "app" missing`},
		{"held blueprint index entry of no update", func(tx *bolt.Tx) error {
			return putEntry(tx, bktBPExecutions, key("bp", "e"))
		}, `blueprint executions index: entry "bp" -> "e" has no record that calls for it`},
		{"undecodable execution", func(tx *bolt.Tx) error {
			return tx.Bucket(bktExecutions).Put([]byte("e"), []byte("{not json"))
		}, `execution "e": undecodable`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "gantry.db")
			s, err := OpenBolt(path, Options{})
			require.NoError(t, err)
			defer s.Close()
			data, err := ArchiveDir(t.TempDir(), 0)
			require.NoError(t, err)
			require.NoError(t, s.CreateBlueprint(ctx, &Blueprint{ID: "bp", MainFile: "b.yaml"}, data))
			require.NoError(t, s.CreateBlueprint(ctx, &Blueprint{ID: "app", MainFile: "b.yaml", Imports: []string{"bp"}}, data))
			plan := &tosca.Plan{Nodes: []*tosca.Node{{ID: "web"}},
				NodeInstances: []*tosca.NodeInstance{{ID: "web_1", NodeID: "web"}, {ID: "web_2", NodeID: "web"}}}
			for _, id := range []string{"d", "d2"} {
				p := *plan
				require.NoError(t, s.CreateDeployment(ctx, &Deployment{ID: id, BlueprintID: "bp", Plan: &p}))
			}
			require.NoError(t, s.CreateExecution(ctx, &Execution{ID: "e", DeploymentID: "d", WorkflowID: "install"}))
			require.NoError(t, s.PutTasks(ctx, "e", []*Task{{ID: "t", Status: TaskSent}}))
			require.NoError(t, s.AppendEvents(ctx, "e", []*Event{{Type: "log"}}))
			require.NoError(t, s.PutDependency(ctx, &Dependency{SourceDeploymentID: "d", TargetDeploymentID: "d2", Creator: "proxy"}))
			require.NoError(t, s.CreateToken(ctx, &Token{ID: "t1", Name: "ci", Role: "admin", Hash: strings.Repeat("ab", 32)}))
			require.NoError(t, s.AppendAudit(ctx, &AuditRecord{Principal: "ci", Action: "tokens.create", Target: "t1", Outcome: "ok"}))
			problems, err := s.Check(ctx)
			require.NoError(t, err)
			require.Empty(t, problems, "consistent before the damage")

			require.NoError(t, s.do(ctx, true, tc.damage))
			problems, err = s.Check(ctx)
			require.NoError(t, err)
			require.NotEmpty(t, problems)
			assert.True(t, slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tc.want) }),
				"want %q among %q", tc.want, problems)
		})
	}
}

// TestImportersIndexMadeWhole: a store file written before the importers
// index (its blueprints recorded their imports, unindexed) gets the index
// whole at the first blueprint write that needs it, so what they import
// is kept from then on; store check does not count the missing index.
func TestImportersIndexMadeWhole(t *testing.T) {
	ctx := context.Background()
	s, err := OpenBolt(filepath.Join(t.TempDir(), "gantry.db"), Options{})
	require.NoError(t, err)
	defer s.Close()
	data, err := ArchiveDir(t.TempDir(), 0)
	require.NoError(t, err)
	require.NoError(t, s.CreateBlueprint(ctx, &Blueprint{ID: "lib", MainFile: "b.yaml"}, data))
	require.NoError(t, s.CreateBlueprint(ctx, &Blueprint{ID: "app", MainFile: "b.yaml", Imports: []string{"lib"}}, data))
	require.NoError(t, s.do(ctx, true, func(tx *bolt.Tx) error { return tx.DeleteBucket(bktBPImporters) })) // as an older gantry wrote it
	problems, err := s.Check(ctx)
	require.NoError(t, err)
	require.Empty(t, problems)

	err = s.DeleteBlueprint(ctx, "lib")
	require.ErrorIs(t, err, ErrInUse)
	require.ErrorContains(t, err, "blueprint(s) app import it")
	problems, err = s.Check(ctx)
	require.NoError(t, err)
	require.Empty(t, problems, "the index made whole")
	require.NoError(t, s.DeleteBlueprint(ctx, "app"))
	require.NoError(t, s.DeleteBlueprint(ctx, "lib"))
}
