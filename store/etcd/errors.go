package etcdstore

import "errors"

// The package returns the store's sentinels (store.ErrNotFound,
// store.ErrConflict, store.ErrTooLarge, ...); this one never leaves it.

// errRetry: a transaction's reads went stale before anything was
// committed; the operation runs again from scratch.
var errRetry = errors.New("etcd transaction conflict, retry")
