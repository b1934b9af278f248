package manager

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gantryhq/gantry/store"
)

// Worker defaults.
const (
	DefaultWorkerParallel = 4
	// workerRewatch is the pause before watching again after a watch
	// ended (the store lost its leader, or this process was cut off).
	workerRewatch = 500 * time.Millisecond
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
	return &Worker{m: m, q: q, cfg: cfg, slots: make(chan struct{}, cfg.Parallel), freed: make(chan struct{}, 1)}, nil
}

// Name is the worker's name.
func (w *Worker) Name() string { return w.cfg.Name }

// Run works until ctx ends, then waits for the executions it runs to end
// (a second stop is the process's exit: its claims end with its lease
// and other workers take them over).
func (w *Worker) Run(ctx context.Context) error {
	defer w.wg.Wait()
	info := store.WorkerInfo{Name: w.cfg.Name, Host: selfHost, PID: os.Getpid(), Parallel: w.cfg.Parallel, Started: store.Now()}
	if err := w.q.RegisterWorker(ctx, info); err != nil {
		return fmt.Errorf("worker %s: register: %w", w.cfg.Name, err)
	}
	w.cfg.Log(fmt.Sprintf("worker %s: running up to %d executions at once", w.cfg.Name, w.cfg.Parallel))
	heartbeat := time.NewTicker(workerHeartbeat)
	defer heartbeat.Stop()
	for ctx.Err() == nil {
		wctx, stop := context.WithCancel(ctx)
		err := w.watch(wctx, heartbeat.C, info)
		stop()
		if err != nil && ctx.Err() == nil {
			w.cfg.Log(fmt.Sprintf("worker %s: %v; watching again", w.cfg.Name, err))
		}
		select {
		case <-ctx.Done():
		case <-time.After(workerRewatch):
		}
	}
	w.cfg.Log(fmt.Sprintf("worker %s: stopping, waiting for its executions to end", w.cfg.Name))
	return nil
}

// watch reads the queue once and then follows its watch until it ends.
func (w *Worker) watch(ctx context.Context, heartbeat <-chan time.Time, info store.WorkerInfo) error {
	ch, err := w.q.WatchClaimable(ctx)
	if err != nil {
		return err
	}
	if err := w.scan(ctx); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case id, ok := <-ch:
			if !ok {
				return errors.New("the store's watch ended")
			}
			w.try(ctx, id)
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
			if err := w.q.RegisterWorker(ctx, info); err != nil {
				return fmt.Errorf("register: %w", err)
			}
		}
	}
}

// scan tries every claimable execution, oldest first.
func (w *Worker) scan(ctx context.Context) error {
	ids, err := w.q.Claimable(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if !w.try(ctx, id) {
			break
		}
	}
	return nil
}

// try claims the execution and runs it if a slot is free; false when
// none is (the queue is read again when one frees).
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
	// Cheap look first: every end of a claim is announced, most of them
	// of executions that ended.
	if e, err := w.m.st.GetExecution(ctx, id); err != nil || !e.InQueue() {
		free()
		return true
	}
	cl, err := w.m.claimAs(ctx, id, w.cfg.Name)
	if err != nil {
		free()
		if !errors.Is(err, store.ErrClaimed) && !errors.Is(err, store.ErrNotFound) {
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
		err := w.m.runClaimed(context.WithoutCancel(ctx), cl)
		msg := fmt.Sprintf("worker %s: execution %s ended after %s", w.cfg.Name, id, time.Since(start).Round(time.Millisecond))
		if err != nil {
			msg += ": " + err.Error()
		}
		w.cfg.Log(msg)
	}()
	return true
}
