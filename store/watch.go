package store

import "context"

// Watcher is implemented by stores that can tell when a record changes
// (store/etcd, with etcd watches), so that followers of an execution wait
// for the change instead of polling. BoltStore does not implement it:
// callers type-assert and fall back to polling.
type Watcher interface {
	// WaitEvents returns nil once the execution may have events with Seq
	// > afterSeq or its record changed (status, cancel request), at once
	// if it has them already. It may return early; callers read again.
	// ErrNotFound if the execution does not exist; ctx.Err() when ctx
	// ends first.
	WaitEvents(ctx context.Context, executionID string, afterSeq uint64) error
	// WatchExecution sends the execution's record as it is now, then each
	// time it changes, until ctx ends or the record is deleted; then it
	// closes the channel. A receiver that falls behind gets the latest
	// record (intermediate ones may be skipped). ErrNotFound if the
	// execution does not exist.
	WatchExecution(ctx context.Context, id string) (<-chan *Execution, error)
}

// AsWatcher returns the Watcher of s, looking through wrappers that have
// an Unwrap() Store method (the encryption of secrets Open puts over
// every backend).
func AsWatcher(s Store) (Watcher, bool) {
	w, ok := Backend(s).(Watcher)
	return w, ok
}
