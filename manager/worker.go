package manager

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gantryhq/gantry/store"
)

// Worker defaults.
const (
	DefaultWorkerParallel = 4
	// workerHeartbeat re-registers the worker: after a lost lease its
	// record went with it.
	workerHeartbeat = 5 * time.Second
)

// WorkerConfig configures a Worker.
type WorkerConfig struct {
	// Name identifies the worker in claims and `gantry status` (default
	// HOSTNAME-PID).
	Name string
	// Parallel bounds the executions the worker runs at once (default
	// DefaultWorkerParallel).
	Parallel int
	// Log, when set, hears one line per thing the worker does.
	Log func(msg string)
}

// Worker runs queued executions (`gantry worker`): it watches the store's
// queue, claims what nobody runs (a new execution, or one whose worker's
// claim ended: a takeover, resumed) and runs up to Parallel at once.
type Worker struct {
	m   *Manager
	q   store.Queue
	cfg WorkerConfig

	slots chan struct{}
	wg    sync.WaitGroup
	// missed: an execution was announced while every slot was taken; the
	// queue is read again when a slot frees.
	mu     sync.Mutex
	missed bool
	freed  chan struct{}

	// Owned by Run's goroutine (workerretry.go). retry holds executions
	// whose read or claim got no answer from the store: they are tried
	// again, with the queue read anew, when retryAt fires (armed: it
	// will). claimBack paces those attempts, watchBack the watches and
	// listings that failed.
	retry     map[string]struct{}
	retryAt   *time.Timer
	armed     bool
	claimBack backoff
	watchBack backoff
}

// NewWorker makes a worker over the Manager's store; ErrInvalid if the
// store is not one that workers share (etcd).
func (m *Manager) NewWorker(cfg WorkerConfig) (*Worker, error) {
	if err := m.CheckQueue(); err != nil {
		return nil, err
	}
	q, _ := store.AsQueue(m.st)
	if cfg.Parallel <= 0 {
		cfg.Parallel = DefaultWorkerParallel
	}
	if cfg.Name == "" {
		host, _ := os.Hostname()
		cfg.Name = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	if err := store.CheckID("worker", cfg.Name); err != nil {
		return nil, err
	}
	if strings.ContainsAny(cfg.Name, "/") {
		return nil, fmt.Errorf("worker name %q: no '/': %w", cfg.Name, ErrInvalid)
	}
	if cfg.Log == nil {
		cfg.Log = func(string) {}
	}
	retryAt := time.NewTimer(workerRetryMax)
	retryAt.Stop()
	return &Worker{m: m, q: q, cfg: cfg, slots: make(chan struct{}, cfg.Parallel), freed: make(chan struct{}, 1),
		retry: map[string]struct{}{}, retryAt: retryAt}, nil
}

// Name is the worker's name.
func (w *Worker) Name() string { return w.cfg.Name }

// Run works until ctx ends, then waits for the executions it runs to end
// (a second stop is the process's exit: its claims end with its lease
// and other workers take them over). A store that does not answer is
// waited out (see workerretry.go), at start as later.
func (w *Worker) Run(ctx context.Context) error {
	defer w.wg.Wait()
	info := store.WorkerInfo{Name: w.cfg.Name, Host: selfHost, PID: os.Getpid(), Parallel: w.cfg.Parallel, Started: store.Now()}
	for {
		err := w.register(ctx, info)
		if err == nil {
			break
		}
		if !retryable(err) || !w.pause(ctx, &w.watchBack, err) {
			return fmt.Errorf("worker %s: %w", w.cfg.Name, err)
		}
	}
	w.cfg.Log(fmt.Sprintf("worker %s: running up to %d executions at once", w.cfg.Name, w.cfg.Parallel))
	heartbeat := time.NewTicker(workerHeartbeat)
	defer heartbeat.Stop()
	for ctx.Err() == nil {
		wctx, stop := context.WithCancel(ctx)
		err := w.watch(wctx, heartbeat.C, info)
		stop()
		if err != nil && ctx.Err() == nil {
			w.pause(ctx, &w.watchBack, err)
		}
	}
	w.cfg.Log(fmt.Sprintf("worker %s: stopping, waiting for its executions to end", w.cfg.Name))
	return nil
}

// register records the worker (again: its record is on its lease).
func (w *Worker) register(ctx context.Context, info store.WorkerInfo) error {
	ctx, cancel := context.WithTimeout(ctx, workerCallTimeout)
	defer cancel()
	if err := w.q.RegisterWorker(ctx, info); err != nil {
		return fmt.Errorf("register: %w", err)
	}
	return nil
}

// watch watches the queue, reads it once and then follows the watch
// until it ends (closed: the store's watch was cancelled, compacted or
// failed; Run then watches and reads the queue again). A watch that
// stayed up workerRetryMax ends the episode of failed watches.
func (w *Worker) watch(ctx context.Context, heartbeat <-chan time.Time, info store.WorkerInfo) error {
	ch, err := w.q.WatchClaimable(ctx)
	if err != nil {
		return fmt.Errorf("watch the queue: %w", err)
	}
	if err := w.scan(ctx); err != nil {
		return err
	}
	steady := time.After(workerRetryMax)
	for {
		select {
		case <-ctx.Done():
			return nil
		case id, ok := <-ch:
			if !ok {
				return errWatchEnded
			}
			w.try(ctx, id)
		case <-steady:
			w.recovered(&w.watchBack, episodeWatch)
		case <-w.retryAt.C:
			w.armed = false
			if err := w.scan(ctx); err != nil {
				return err
			}
		case <-w.freed:
			w.mu.Lock()
			missed := w.missed
			w.missed = false
			w.mu.Unlock()
			if missed {
				if err := w.scan(ctx); err != nil {
					return err
				}
			}
		case <-heartbeat:
			if err := w.register(ctx, info); err != nil {
				return err
			}
		}
	}
}

// scan tries every claimable execution, oldest first, then those whose
// last attempt got no answer (one may be claimed by this very process:
// a claim applied whose answer was lost, which the store adopts).
func (w *Worker) scan(ctx context.Context) error {
	if w.armed {
		w.retryAt.Stop()
		w.armed = false
	}
	lctx, cancel := context.WithTimeout(ctx, workerCallTimeout)
	ids, err := w.q.Claimable(lctx)
	cancel()
	if err != nil {
		return fmt.Errorf("read the queue: %w", err)
	}
	again := w.retry
	w.retry = map[string]struct{}{}
	for _, id := range ids {
		delete(again, id)
	}
	ids = append(ids, slices.Sorted(maps.Keys(again))...)
	for i, id := range ids {
		if !w.try(ctx, id) {
			// Full: the queue is read again when a slot frees; keep
			// those still to try again.
			for _, rest := range ids[i:] {
				if _, ok := again[rest]; ok {
					w.retry[rest] = struct{}{}
				}
			}
			return nil
		}
	}
	if len(w.retry) == 0 {
		w.recovered(&w.claimBack, episodeClaims)
	}
	return nil
}

// try claims the execution and runs it if a slot is free; false when
// none is (the queue is read again when one frees). When the store does
// not answer the execution is tried again later (retryLater); when it
// answers that another process holds the claim, or that the execution
// is gone or no longer queued, it is left alone.
func (w *Worker) try(ctx context.Context, id string) bool {
	select {
	case w.slots <- struct{}{}:
	default:
		w.mu.Lock()
		w.missed = true
		w.mu.Unlock()
		return false
	}
	free := func() {
		<-w.slots
		select {
		case w.freed <- struct{}{}:
		default:
		}
	}
	cctx, cancel := context.WithTimeout(ctx, workerCallTimeout)
	defer cancel()
	// Cheap look first: every end of a claim is announced, most of them
	// of executions that ended.
	e, err := w.m.st.GetExecution(cctx, id)
	if err != nil || !e.InQueue() {
		free()
		if retryable(err) && ctx.Err() == nil {
			w.retryLater(id, fmt.Errorf("read execution %s: %w", id, err))
		}
		return true
	}
	cl, err := w.m.claimAs(cctx, id, w.cfg.Name)
	if err != nil {
		free()
		switch {
		case ctx.Err() != nil, errors.Is(err, store.ErrClaimed), errors.Is(err, store.ErrNotFound):
		case retryable(err):
			w.retryLater(id, fmt.Errorf("claim %s: %w", id, err))
		default:
			w.cfg.Log(fmt.Sprintf("worker %s: claim %s: %v", w.cfg.Name, id, err))
		}
		return true
	}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		defer free()
		start := time.Now()
		w.cfg.Log(fmt.Sprintf("worker %s: claimed execution %s (token %d)", w.cfg.Name, id, cl.Token()))
		// The run outlives a stop request: it ends on its own, or with
		// the process.
		err := w.m.runClaimed(context.WithoutCancel(ctx), cl, w.cfg.Name, w.cfg.Log)
		msg := fmt.Sprintf("worker %s: execution %s ended after %s", w.cfg.Name, id, time.Since(start).Round(time.Millisecond))
		if err != nil {
			msg += ": " + err.Error()
		}
		w.cfg.Log(msg)
	}()
	return true
}
