package workflow

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/gantryhq/gantry/internal/secretmask"
	"github.com/gantryhq/gantry/plugins"
)

// recorder batches the engine's writes (instance changes, task records,
// events) and commits them through the State every FlushInterval, when
// FlushItems accumulate, or at once when poked (an operation ended, or an
// event of a followed execution: Config.Followed). One
// goroutine commits, so batches are committed in the order they were made.
type recorder struct {
	st      State
	ctx     context.Context
	base    Event // DeploymentID, ExecutionID, Workflow
	insts   *instanceTable
	persist bool // false in dry runs: only events are written
	onEvent func(Event)
	// followed: commit events at once (Config.Followed).
	followed func() bool
	redact   *secretmask.Set
	max      int

	mu       sync.Mutex
	events   []Event
	tasks    []TaskRecord
	dirty    []string
	dirtySet map[string]struct{}
	err      error
	// ended holds when each ended operation whose record is not committed
	// yet ended, oldest first; inFlush how many of them the running flush
	// commits.
	ended   []time.Time
	inFlush int

	// committed is signalled after every commit, and after a failed one
	// (then failed() tells).
	committed chan struct{}

	kick    chan struct{}
	stop    chan struct{}
	stopped chan struct{}
}

func newRecorder(ctx context.Context, st State, base Event, insts *instanceTable, persist bool, cfg *Config, red *secretmask.Set) *recorder {
	r := &recorder{
		st: st, ctx: ctx, base: base, insts: insts, persist: persist,
		onEvent: cfg.OnEvent, redact: red, max: cfg.FlushItems,
		dirtySet:  map[string]struct{}{},
		kick:      make(chan struct{}, 1),
		committed: make(chan struct{}, 1),
		stop:      make(chan struct{}),
		stopped:   make(chan struct{}),
	}
	if f := cfg.Followed; f != nil {
		r.followed = func() bool { return f(base.ExecutionID) }
	}
	go r.loop(cfg.FlushInterval)
	return r
}

func (r *recorder) loop(every time.Duration) {
	defer close(r.stopped)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-r.kick:
		case <-tick.C:
		case <-r.stop:
			r.flush()
			return
		}
		r.flush()
	}
}

func (r *recorder) poke() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// event stamps, redacts and queues an event.
func (r *recorder) event(e Event) {
	e.Time = time.Now().UTC()
	e.DeploymentID, e.ExecutionID, e.Workflow = r.base.DeploymentID, r.base.ExecutionID, r.base.Workflow
	e.Message = r.redact.String(e.Message)
	e.Error = r.redact.String(e.Error)
	if r.onEvent != nil {
		r.onEvent(e)
	}
	r.mu.Lock()
	r.events = append(r.events, e)
	full := len(r.events)+len(r.tasks) >= r.max
	r.mu.Unlock()
	if full || (r.followed != nil && r.followed()) {
		r.poke()
	}
}

// task queues a task record.
func (r *recorder) task(t TaskRecord) {
	if !r.persist {
		return
	}
	t.Time = time.Now().UTC()
	r.mu.Lock()
	r.tasks = append(r.tasks, t)
	full := len(r.events)+len(r.tasks) >= r.max
	r.mu.Unlock()
	if full {
		r.poke()
	}
}

// opEnded queues the record of an operation that ended for good (with its
// event, stored in the same batch) and starts a flush at once.
func (r *recorder) opEnded(t TaskRecord, e Event) {
	r.task(t)
	if r.persist {
		// After the record is queued: a flush cut in between commits the
		// record and counts it one flush longer, never the reverse.
		r.mu.Lock()
		r.ended = append(r.ended, time.Now())
		r.mu.Unlock()
	}
	r.event(e)
	r.poke()
}

// backlogFull reports whether ended operations wait for their records
// beyond the bounds (count or age): the engine then starts no operation.
func (r *recorder) backlogFull(maxCount int, maxAge time.Duration) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.ended) >= maxCount || (len(r.ended) > 0 && time.Since(r.ended[0]) > maxAge)
}

// markDirty queues an instance for writing.
func (r *recorder) markDirty(id string) {
	if !r.persist {
		return
	}
	r.mu.Lock()
	if _, ok := r.dirtySet[id]; !ok {
		r.dirtySet[id] = struct{}{}
		r.dirty = append(r.dirty, id)
	}
	r.mu.Unlock()
}

func (r *recorder) flush() {
	r.mu.Lock()
	if r.err != nil {
		r.mu.Unlock()
		return
	}
	b := &Batch{DeploymentID: r.base.DeploymentID, ExecutionID: r.base.ExecutionID, Events: r.events, Tasks: r.tasks}
	dirty := r.dirty
	r.inFlush = len(r.ended)
	r.events, r.tasks, r.dirty = nil, nil, nil
	if len(dirty) > 0 {
		r.dirtySet = map[string]struct{}{}
	}
	r.mu.Unlock()

	var touched []*instState
	for _, id := range dirty {
		in := r.insts.get(id)
		if in == nil {
			continue
		}
		in.mu.Lock()
		rec := in.rec
		rec.RuntimeProperties = plugins.DeepCopyMap(in.rec.RuntimeProperties)
		in.mu.Unlock()
		b.Instances = append(b.Instances, rec)
		touched = append(touched, in)
	}
	var err error
	if !b.Empty() {
		err = r.st.Commit(r.ctx, b)
	}
	if err == nil {
		for _, in := range touched {
			in.mu.Lock()
			in.rec.Version++
			in.mu.Unlock()
		}
	}
	r.mu.Lock()
	if err != nil {
		r.err = fmt.Errorf("write execution state: %w", err)
	} else {
		r.ended = r.ended[r.inFlush:]
	}
	r.inFlush = 0
	r.mu.Unlock()
	// Wake the engine either way: a commit shrank the backlog, a failure
	// must stop the run (an engine waiting on a full backlog with nothing
	// running would otherwise wait for a commit that never comes).
	select {
	case r.committed <- struct{}{}:
	default:
	}
}

// close flushes what is left and stops the loop.
func (r *recorder) close() error {
	close(r.stop)
	<-r.stopped
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// failed returns the sticky write error, if any.
func (r *recorder) failed() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}
