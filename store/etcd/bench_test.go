package etcdstore

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/store/storetest"
	"github.com/gantryhq/gantry/testenv"
)

// BenchmarkFlush1000: the engine's largest flush (1,000 items: 8 ordered
// etcd transactions) on a 3-member cluster; store's BenchmarkFlush1000
// runs the same body on bbolt.
//
//	go test -run '^$' -bench Flush1000 -benchtime 50x ./store/ ./store/etcd/
func BenchmarkFlush1000(b *testing.B) {
	c := testenv.StartEtcdCluster(b, 3)
	s, err := store.Open(context.Background(), c.URL("bench"), store.Options{})
	require.NoError(b, err)
	b.Cleanup(func() { _ = s.Close() })
	storetest.BenchmarkFlush(b, s)
}
