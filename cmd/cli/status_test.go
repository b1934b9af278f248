package cli

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager/api"
)

func TestDescribeCluster(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := &api.Cluster{
		Members: []api.Member{
			{Name: "m0", ClientURL: []string{"http://127.0.0.1:2379"}, Leader: true},
			{Name: "m1", ClientURL: []string{"http://127.0.0.1:2380"}},
			{Name: "m2", ClientURL: []string{"http://127.0.0.1:2381"}, Error: "context deadline exceeded"},
		},
		Workers: []api.WorkerInfo{{Name: "wa", Host: "vm boot-id", PID: 42, Parallel: 4, Started: now.Add(-3 * time.Minute), LeaseTTL: 4 * time.Second}},
		Claims:  []api.ClaimInfo{{ExecutionID: "e1", Holder: api.ClaimHolder{Name: "wa", Host: "vm boot-id", PID: 42}, Token: 8, Since: now.Add(-12 * time.Second), LeaseTTL: 4 * time.Second}},
		Executions: []*api.Execution{
			{ID: "e1", WorkflowID: "install", DeploymentID: "web"},
			{ID: "e2", WorkflowID: "scale", DeploymentID: "db", CreatedAt: now.Add(-5 * time.Second)},
		},
		Queued: 3,
	}
	want := `members:
  m0         http://127.0.0.1:2379        leader
  m1         http://127.0.0.1:2380        follower
  m2         http://127.0.0.1:2381        unreachable: context deadline exceeded
workers: 1
  wa                   vm pid 42, parallel 4, up 3m0s, lease 4s left
claims: 1
  e1             install of web by wa (vm pid 42), token 8, held 12s, lease 4s left
queued: 3
  e2             scale of db, queued 5s ago
  ... and 2 more
`
	require.Equal(t, want, describeCluster(c, now))
	c.Error = "claims: etcd: no leader"
	require.Contains(t, describeCluster(c, now), "cluster error: claims: etcd: no leader\n")
}
