package store

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestWaitersYield: a process about to reopen the store yields while
// another waits for it (up to the limit), and not at all otherwise.
func TestWaitersYield(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gantry.db.waiters")
	holder, waiter := openWaiters(path), openWaiters(path)
	defer holder.close()
	defer waiter.close()

	start := time.Now()
	holder.yield(time.Second)
	assert.Less(t, time.Since(start), 100*time.Millisecond, "nobody waits: no yield")

	waiter.join()
	start = time.Now()
	holder.yield(150 * time.Millisecond)
	took := time.Since(start)
	assert.GreaterOrEqual(t, took, 150*time.Millisecond, "yields while someone waits")
	assert.Less(t, took, time.Second, "but only up to the limit")

	left := make(chan struct{})
	go func() {
		defer close(left)
		time.Sleep(50 * time.Millisecond)
		waiter.leave()
	}()
	defer func() { <-left }()
	start = time.Now()
	holder.yield(5 * time.Second)
	took = time.Since(start)
	assert.GreaterOrEqual(t, took, 40*time.Millisecond)
	assert.Less(t, took, 2*time.Second, "stops yielding once the waiter got its turn")

	// Without the side file (e.g. a read-only folder) there is no yielding.
	none := openWaiters(filepath.Join(t.TempDir(), "missing", "x.waiters"))
	none.join()
	start = time.Now()
	none.yield(time.Second)
	assert.Less(t, time.Since(start), 100*time.Millisecond)
}
