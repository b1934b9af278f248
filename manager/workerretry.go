package manager

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/gantryhq/gantry/store"
)

// A worker whose store fails to answer (an etcd leader election, a
// member or the connection lost, a timeout) tries again: the claim of an
// execution, the listing of the queue, the watch, its registration. It
// waits between attempts, from workerRetryMin doubling up to
// workerRetryMax, each wait jittered by ±workerRetryJitter so that
// workers do not retry in step; it logs the first failure of an episode
// and its end, not each attempt.
const (
	workerRetryMin    = 100 * time.Millisecond
	workerRetryMax    = 3 * time.Second
	workerRetryJitter = 0.2
	// workerCallTimeout bounds one store call of the worker's loop: a
	// call that gets no answer (a black-holed connection) is a failure
	// to try again, not a worker that hangs.
	workerCallTimeout = 10 * time.Second
)

// retryable reports whether err is the store's failing to answer (try
// again) rather than an answer: another process holds the claim, the
// execution is gone or no longer queued, the store is closed.
func retryable(err error) bool {
	return errors.Is(err, store.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded)
}

// backoff paces the attempts of one episode of failures.
type backoff struct {
	attempts int
	wait     time.Duration
	since    time.Time
}

// next counts a failed attempt and returns the wait before the next one;
// first is true on the episode's first failure (log it).
func (b *backoff) next() (wait time.Duration, first bool) {
	first = b.attempts == 0
	if first {
		b.wait, b.since = workerRetryMin, time.Now()
	} else {
		b.wait = min(2*b.wait, workerRetryMax)
	}
	b.attempts++
	jitter := (2*rand.Float64() - 1) * workerRetryJitter * float64(b.wait)
	return b.wait + time.Duration(jitter), first
}

// reset ends the episode: it returns how many attempts failed and for
// how long (0 when none did).
func (b *backoff) reset() (failed int, took time.Duration) {
	failed = b.attempts
	if failed > 0 {
		took = time.Since(b.since)
	}
	*b = backoff{}
	return failed, took
}

// errWatchEnded: the store's watch of the queue closed (cancelled,
// compacted, no leader, failed); the worker watches and reads the queue
// again.
var errWatchEnded = errors.New("the store's watch of the queue ended")

// retryLater keeps the execution to try again once the wait of the
// claims' episode has passed (with the queue read anew).
func (w *Worker) retryLater(id string, err error) {
	w.retry[id] = struct{}{}
	if w.armed {
		return
	}
	wait, first := w.claimBack.next()
	if first {
		w.cfg.Log(retryNote(w.cfg.Name, err, wait))
	}
	w.retryAt.Reset(wait)
	w.armed = true
}

// pause counts a failure of the episode b, logs the episode's first and
// waits before the next attempt; false when ctx ended first.
func (w *Worker) pause(ctx context.Context, b *backoff, err error) bool {
	wait, first := b.next()
	if first {
		w.cfg.Log(retryNote(w.cfg.Name, err, wait))
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// The episodes a worker logs the end of: its claims (and the reads
// before them), and its watch with the listings and registrations.
const (
	episodeClaims = "claims"
	episodeWatch  = "watch"
)

// recovered ends the episode b and logs its end if it had failures.
func (w *Worker) recovered(b *backoff, what string) {
	if n, took := b.reset(); n > 0 {
		w.cfg.Log(answeredNote(w.cfg.Name, what, n, took))
	}
}

// answeredNote is the line that closes an episode of n failures.
func answeredNote(worker, what string, n int, took time.Duration) string {
	return fmt.Sprintf("worker %s: %s: the store answers again (failed attempts: %d, over %s)", worker, what, n, took.Round(time.Millisecond))
}

// retryNote is the line that opens an episode of failures.
func retryNote(worker string, err error, wait time.Duration) string {
	return fmt.Sprintf("worker %s: %v; trying again in %s, then with backoff (up to %s) until the store answers",
		worker, err, wait.Round(time.Millisecond), workerRetryMax)
}

// untilAnswered calls fn until the store answers it (nil, or an error
// that is not retryable), each call bounded by workerCallTimeout, with
// backoff between attempts; the episode's first failure is logged. It
// gives up with ErrClaimLost when the claim is lost meanwhile (its lease
// ended while the store did not answer: another worker may run it now).
func untilAnswered(ctx context.Context, cl store.Claim, worker string, log func(string), fn func(context.Context) error) error {
	var b backoff
	for {
		cctx, cancel := context.WithTimeout(ctx, workerCallTimeout)
		err := fn(cctx)
		cancel()
		if !retryable(err) || ctx.Err() != nil {
			if n, took := b.reset(); n > 0 && err == nil {
				log(answeredNote(worker, "execution "+cl.ExecutionID(), n, took))
			}
			return err
		}
		wait, first := b.next()
		if first {
			log(retryNote(worker, fmt.Errorf("execution %s: %w", cl.ExecutionID(), err), wait))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-cl.Lost():
			t.Stop()
			return fmt.Errorf("execution %s: %w while the store did not answer: %w", cl.ExecutionID(), store.ErrClaimLost, err)
		case <-t.C:
		}
	}
}
