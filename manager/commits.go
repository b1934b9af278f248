package manager

import (
	"sync"
	"time"
)

// commits wakes the followers of executions this process runs each time
// the engine commits a batch of them or changes their status, so that
// FollowEvents over a store without watches (bbolt) sees an event as soon
// as it is stored rather than at its next poll. Followers in other
// processes still poll. It also counts the followers of each execution:
// the engine commits the events of a followed execution at once
// (workflow.Config.Followed) instead of batching them for FlushInterval.
//
// An execution whose starter said it follows it (ExecOptions.Follow)
// counts as followed from its first event: its follower connects only
// after the start has answered, and the events in between would wait for
// the batch. The promise lasts until a follower comes, the execution's
// run ends, or followPromise passes.
type commits struct {
	mu        sync.Mutex
	ch        map[string]chan struct{} // by execution id; closed on the next commit
	followers map[string]int           // by execution id: FollowEvents calls
	promised  map[string]time.Time     // by execution id: until when
}

// followPromise bounds how long an execution counts as followed on its
// starter's word alone.
const followPromise = 10 * time.Second

// promise counts the execution as followed until a follower comes, the
// run ends (forget) or followPromise passes.
func (c *commits) promise(executionID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.promised == nil {
		c.promised = map[string]time.Time{}
	}
	c.promised[executionID] = time.Now().Add(followPromise)
}

// follow counts a follower of the execution until the returned func is
// called.
func (c *commits) follow(executionID string) (unfollow func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.followers == nil {
		c.followers = map[string]int{}
	}
	c.followers[executionID]++
	delete(c.promised, executionID) // kept
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.followers[executionID]--; c.followers[executionID] <= 0 {
			delete(c.followers, executionID)
		}
	}
}

// followed reports whether the execution has followers.
func (c *commits) followed(executionID string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.followers[executionID] > 0 {
		return true
	}
	until, ok := c.promised[executionID]
	if ok && time.Now().After(until) {
		delete(c.promised, executionID) // broken
		ok = false
	}
	return ok
}

// next returns a channel closed at the execution's next commit.
func (c *commits) next(executionID string) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ch == nil {
		c.ch = map[string]chan struct{}{}
	}
	ch := c.ch[executionID]
	if ch == nil {
		ch = make(chan struct{})
		c.ch[executionID] = ch
	}
	return ch
}

// committed wakes the execution's followers.
func (c *commits) committed(executionID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.wake(executionID)
}

// wake closes the execution's next-commit channel; c.mu is held.
func (c *commits) wake(executionID string) {
	if ch := c.ch[executionID]; ch != nil {
		close(ch)
		delete(c.ch, executionID)
	}
}

// ended wakes the followers of an execution whose run in this process
// ended, and forgets its promise.
func (c *commits) ended(executionID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.wake(executionID)
	delete(c.promised, executionID)
}
