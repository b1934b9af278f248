package etcdstore_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/store"
	etcdstore "github.com/gantryhq/gantry/store/etcd"
	"github.com/gantryhq/gantry/store/storetest"
	"github.com/gantryhq/gantry/testenv"
)

// TestEtcdContract runs the whole store contract suite against a real
// 3-member cluster on loopback; each test gets a fresh key prefix.
func TestEtcdContract(t *testing.T) {
	c := testenv.StartEtcdCluster(t, 3)
	var n atomic.Int64
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := store.Open(context.Background(), c.URL(fmt.Sprintf("contract-%d", n.Add(1))), store.Options{})
		require.NoError(t, err)
		require.IsType(t, &etcdstore.Store{}, s)
		return s
	})
}
