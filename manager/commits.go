package manager

import "sync"

// commits wakes the followers of executions this process runs each time
// the engine commits a batch of them or changes their status, so that
// FollowEvents over a store without watches (bbolt) sees an event as soon
// as it is stored rather than at its next poll. Followers in other
// processes still poll. It also counts the followers of each execution:
// the engine commits the events of a followed execution at once
// (workflow.Config.Followed) instead of batching them for FlushInterval.
type commits struct {
	mu        sync.Mutex
	ch        map[string]chan struct{} // by execution id; closed on the next commit
	followers map[string]int           // by execution id: FollowEvents calls
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
	return c.followers[executionID] > 0
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
	if ch := c.ch[executionID]; ch != nil {
		close(ch)
		delete(c.ch, executionID)
	}
}
