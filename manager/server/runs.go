package server

import (
	"context"
	"sync"
	"time"

	"github.com/gantryhq/gantry/manager/api"
)

// keepEnded is how long the outcome of an ended run (its final record
// with the error of what followed the workflow, which the store does not
// keep) stays for GET .../wait; after that the stored record (or, for an
// execution deleted with its deployment, its tombstone) is the answer.
const keepEnded = 10 * time.Minute

// runs are the executions this server started. A goroutine per run waits
// for it (so that what follows a workflow, such as deleting the deployment
// after uninstall, happens whether or not a client waits) and keeps the
// outcome for a while.
type runs struct {
	mu sync.Mutex
	m  map[string]*runEntry
	wg sync.WaitGroup
}

type runEntry struct {
	run  api.Run
	done chan struct{}
	exec *api.Execution // final record, once done
	err  error          // Wait's error, once done
}

func newRuns() *runs { return &runs{m: map[string]*runEntry{}} }

func (rs *runs) add(run api.Run) *runEntry {
	e := &runEntry{run: run, done: make(chan struct{})}
	if run.Execution().Queued {
		// A worker runs it: its record tells its end, and stopping this
		// server must not cancel it.
		return e
	}
	id := run.Execution().ID
	rs.mu.Lock()
	rs.m[id] = e
	rs.mu.Unlock()
	rs.wg.Add(1)
	go func() {
		defer rs.wg.Done()
		e.exec, e.err = run.Wait(context.Background())
		if e.exec == nil {
			e.exec = run.Execution()
		}
		close(e.done)
		time.AfterFunc(keepEnded, func() {
			rs.mu.Lock()
			if rs.m[id] == e {
				delete(rs.m, id)
			}
			rs.mu.Unlock()
		})
	}()
	return e
}

func (rs *runs) get(id string) *runEntry {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.m[id]
}

// stopAll cancels every running run gracefully, then by force when ctx
// ends, and waits for them all.
func (rs *runs) stopAll(ctx context.Context) {
	rs.mu.Lock()
	var active []*runEntry
	for _, e := range rs.m {
		select {
		case <-e.done:
		default:
			active = append(active, e)
		}
	}
	rs.mu.Unlock()
	for _, e := range active {
		e.run.Cancel(false)
	}
	all := make(chan struct{})
	go func() { rs.wg.Wait(); close(all) }()
	select {
	case <-all:
		return
	case <-ctx.Done():
	}
	for _, e := range active {
		e.run.Cancel(true)
	}
	<-all
}
