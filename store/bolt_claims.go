package store

import (
	"context"
	"fmt"
	"sync"
)

// boltClaims are the claims of one BoltStore. A bbolt file is shared by
// the processes of one machine, and the execution's record names the
// process running it (manager checks that process before it resumes or
// takes over anything), so a claim here keeps two runs of one execution
// apart within this process; it is lost only with the process, and its
// Writer is the store itself.
type boltClaims struct {
	mu   sync.Mutex
	held map[string]int64
	next int64
}

// ClaimExecution claims the execution within this process (see
// boltClaims).
func (s *BoltStore) ClaimExecution(ctx context.Context, id string, holder ClaimHolder) (Claim, error) {
	if _, err := s.GetExecution(ctx, id); err != nil {
		return nil, err
	}
	c := &s.claims
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.held == nil {
		c.held = map[string]int64{}
	}
	if _, ok := c.held[id]; ok {
		return nil, fmt.Errorf("execution %q: %w by this process", id, ErrClaimed)
	}
	c.next++
	c.held[id] = c.next
	return &boltClaim{s: s, id: id, token: c.next, lost: make(chan struct{})}, nil
}

type boltClaim struct {
	s     *BoltStore
	id    string
	token int64
	lost  chan struct{} // never closed: lost only with the process
}

func (c *boltClaim) ExecutionID() string   { return c.id }
func (c *boltClaim) Token() int64          { return c.token }
func (c *boltClaim) Writer() Store         { return c.s }
func (c *boltClaim) Lost() <-chan struct{} { return c.lost }

func (c *boltClaim) Release(context.Context) error {
	cl := &c.s.claims
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cl.held[c.id] == c.token {
		delete(cl.held, c.id)
	}
	return nil
}
