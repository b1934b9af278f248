package remote

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/gantryhq/gantry/manager"
	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/manager/server"
)

// Reconnection of a dropped event stream.
const (
	reconnectWait  = 500 * time.Millisecond
	reconnectTries = 20
	// progressEvery bounds how often Progress asks the server.
	progressEvery = 200 * time.Millisecond
)

// Every execution this client starts it follows from the start: it says
// so (ExecOptions.Follow), and the server commits the events at once.

func (c *Client) StartExecution(ctx context.Context, req api.StartRequest) (api.Run, error) {
	req.Options.Follow = true
	return c.start(ctx, request{method: http.MethodPost, path: server.PathExecutions, json: req}, req.Options)
}

func (c *Client) Resume(ctx context.Context, executionID string, opts api.ExecOptions) (api.Run, error) {
	opts.Follow = true
	return c.start(ctx, request{method: http.MethodPost, path: server.PathOf(server.PathExecutionResume, executionID), json: opts}, opts)
}

func (c *Client) Uninstall(ctx context.Context, req api.UninstallRequest) (api.Run, error) {
	req.Options.Follow = true
	e, err := one[api.Execution](ctx, c, request{method: http.MethodPost, path: server.PathOf(server.PathUninstall, req.DeploymentID), json: req})
	if err != nil {
		return nil, err
	}
	return c.follow(ctx, e, req.Options, true), nil
}

// UpdateDeployment previews a deployment update or starts it; a started
// one's Run follows its execution like any other. A req.Blueprint that is
// a local path (manager.ResolveUpdateBlueprint) is archived and sent with
// the request, as Install sends its folder.
func (c *Client) UpdateDeployment(ctx context.Context, req api.UpdateDeploymentRequest) (*api.DeploymentUpdate, error) {
	req.Options.Follow = true
	main, cleanup, err := manager.ResolveUpdateBlueprint(&req)
	defer cleanup()
	if err != nil {
		return nil, err
	}
	r := request{method: http.MethodPost, path: server.PathOf(server.PathDeploymentUpdate, req.DeploymentID), json: req}
	if main != "" {
		lb, err := archiveBlueprint(req.BlueprintID, main)
		if err != nil {
			return nil, err
		}
		if fi, err := os.Stat(req.Blueprint); err == nil && !fi.IsDir() && filepath.Dir(main) != filepath.Dir(req.Blueprint) {
			lb.source = req.Blueprint // an archive: its name, not where it was extracted
		}
		if r.body, r.ctype, err = withBlueprint(server.UpdateBody{UpdateDeploymentRequest: req, MainFile: lb.main, Source: lb.source}, lb); err != nil {
			return nil, err
		}
		r.json = nil
	}
	u, err := one[api.DeploymentUpdate](ctx, c, r)
	if err != nil || u.Execution == nil {
		return u, err
	}
	u.Run = c.follow(ctx, u.Execution, req.Options, false)
	return u, nil
}

func (c *Client) start(ctx context.Context, r request, opts api.ExecOptions) (api.Run, error) {
	e, err := one[api.Execution](ctx, c, r)
	if err != nil {
		return nil, err
	}
	return c.follow(ctx, e, opts, false), nil
}

// FollowEvents streams the execution's events from the server.
func (c *Client) FollowEvents(ctx context.Context, executionID string, afterSeq uint64, fn func(*api.Event) error) (*api.Execution, error) {
	last := afterSeq
	var lastErr error
	for try := 0; try < reconnectTries; try++ {
		ended, err := c.stream(ctx, executionID, last, func(e *api.Event) error {
			last = e.Seq
			return fn(e)
		})
		if err == nil || !errors.Is(err, api.ErrUnavailable) || ctx.Err() != nil {
			return ended, err
		}
		// The connection dropped (or the server restarts): go on from
		// the last event seen.
		lastErr = err
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-c.closed:
			return nil, lastErr
		case <-time.After(reconnectWait):
		}
	}
	return nil, lastErr
}

// stream reads one SSE connection until "end", "error" or a drop
// (ErrUnavailable).
func (c *Client) stream(ctx context.Context, id string, after uint64, fn func(*api.Event) error) (*api.Execution, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-c.closed:
			cancel()
		case <-ctx.Done():
		}
	}()
	h := http.Header{}
	h.Set("Accept", server.ContentEventStream)
	h.Set(server.HeaderLastEventID, strconv.FormatUint(after, 10))
	resp, err := c.send(ctx, request{method: http.MethodGet, path: server.PathOf(server.PathEventStream, id), header: h, stream: true})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	ended, err := readEvents(resp.Body, fn)
	if errors.Is(err, errStreamCut) {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, unavailable(c.base.String(), err)
	}
	return ended, err
}

// readEvents reads Server-Sent Events from r, calling fn for each "event"
// message, until "end" (its execution returned), "error" (its api.Error),
// fn's error, or the stream's cut (errStreamCut, wrapping a read error if
// any). No line may be longer than maxSSELine.
func readEvents(r io.Reader, fn func(*api.Event) error) (*api.Execution, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxSSELine)
	var name string
	var data bytes.Buffer
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case len(line) == 0: // dispatch
			if data.Len() > 0 {
				ended, stop, err := dispatch(name, data.Bytes(), fn)
				if stop {
					return ended, err
				}
			}
			name = ""
			data.Reset()
		case line[0] == ':': // comment, heartbeat
		case bytes.HasPrefix(line, []byte("event:")):
			name = string(bytes.TrimSpace(line[len("event:"):]))
		case bytes.HasPrefix(line, []byte("data:")):
			if data.Len() > 0 {
				data.WriteByte('\n')
			}
			data.Write(bytes.TrimPrefix(line[len("data:"):], []byte(" ")))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", errStreamCut, err)
	}
	return nil, errStreamCut
}

// dispatch handles one SSE message; stop says the stream is over.
func dispatch(name string, data []byte, fn func(*api.Event) error) (ended *api.Execution, stop bool, err error) {
	switch name {
	case server.SSEEvent:
		var e api.Event
		if err := json.Unmarshal(data, &e); err != nil {
			return nil, true, fmt.Errorf("event stream: %v: %w", err, ErrBadResponse)
		}
		if err := fn(&e); err != nil {
			return nil, true, err
		}
		return nil, false, nil
	case server.SSEEnd:
		var x api.Execution
		if err := json.Unmarshal(data, &x); err != nil {
			return nil, true, fmt.Errorf("event stream: %v: %w", err, ErrBadResponse)
		}
		return &x, true, nil
	case server.SSEError:
		var e api.Error
		if err := json.Unmarshal(data, &e); err != nil || e.Code == "" {
			return nil, true, fmt.Errorf("event stream error: %s: %w", data, ErrBadResponse)
		}
		return nil, true, &e
	}
	return nil, false, nil // unknown events are skipped
}

// run is an execution the server runs, followed from here.
type run struct {
	c    *Client
	exec *api.Execution
	done chan struct{}

	final *api.Execution
	err   error

	mu       sync.Mutex
	progress api.Progress
	asked    time.Time
	asking   bool
}

// follow streams the execution's events to opts.OnEvent until it ends,
// then fetches the outcome. It outlives ctx's cancellation (Ctrl-C cancels
// on the server through Cancel, and the run still reports the end).
//
// deletes says a success deletes the deployment with its executions (an
// uninstall as a whole): the record may be gone before it is read, and
// that, with the deployment gone too, is the success.
func (c *Client) follow(ctx context.Context, e *api.Execution, opts api.ExecOptions, deletes bool) *run {
	r := &run{c: c, exec: e, done: make(chan struct{})}
	ctx = context.WithoutCancel(ctx)
	go func() {
		defer close(r.done)
		_, err := c.FollowEvents(ctx, e.ID, 0, func(ev *api.Event) error {
			if opts.OnEvent != nil {
				opts.OnEvent(ev)
			}
			return nil
		})
		if err == nil {
			r.final, r.err = c.wait(ctx, e.ID)
			err = r.err
		}
		if err != nil {
			r.final, r.err = e, err
			if deletes && errors.Is(err, api.ErrNotFound) && c.deploymentGone(ctx, e.DeploymentID) {
				done := *e
				done.Status, done.Error = api.ExecutionTerminated, ""
				r.final, r.err = &done, nil
			}
		}
	}()
	return r
}

// deploymentGone reports whether the server says the deployment does not
// exist (any other answer, an error included, is not that).
func (c *Client) deploymentGone(ctx context.Context, id string) bool {
	_, err := c.GetDeployment(ctx, id)
	return errors.Is(err, api.ErrNotFound)
}

// WaitExecution long-polls GET .../wait until the execution has ended:
// its record (a run's error after the workflow is the Run's to tell).
func (c *Client) WaitExecution(ctx context.Context, executionID string) (*api.Execution, error) {
	e, err := c.wait(ctx, executionID)
	if e != nil && e.Status.Terminal() {
		return e, nil
	}
	return e, err
}

// wait long-polls GET .../wait until the execution's outcome is known.
func (c *Client) wait(ctx context.Context, id string) (*api.Execution, error) {
	for {
		q := query(server.ParamTimeout, longPoll.String())
		w, err := one[server.WaitResponse](ctx, c, request{method: http.MethodGet, path: server.PathOf(server.PathExecutionWait, id), query: q, stream: true})
		if err != nil {
			return nil, err
		}
		if w.Done {
			if w.Error != nil {
				return w.Execution, w.Error
			}
			return w.Execution, nil
		}
		select {
		case <-c.closed:
			return w.Execution, fmt.Errorf("execution %s: the client closed before it ended: %w", id, api.ErrUnavailable)
		default:
		}
	}
}

func (r *run) Execution() *api.Execution { return r.exec }

func (r *run) Done() <-chan struct{} { return r.done }

func (r *run) Wait(ctx context.Context) (*api.Execution, error) {
	select {
	case <-r.done:
		return r.final, r.err
	case <-ctx.Done():
		return r.exec, ctx.Err()
	}
}

// Cancel asks the server to stop the execution.
func (r *run) Cancel(force bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _ = r.c.Cancel(ctx, r.exec.ID, force)
}

// Progress returns the last snapshot from the server and refreshes it in
// the background when older than progressEvery, so that a live display
// never waits on the network.
func (r *run) Progress() api.Progress {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.asking && time.Since(r.asked) >= progressEvery {
		r.asking, r.asked = true, time.Now()
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			p, err := one[api.Progress](ctx, r.c, request{method: http.MethodGet, path: server.PathOf(server.PathExecutionProg, r.exec.ID)})
			r.mu.Lock()
			defer r.mu.Unlock()
			r.asking = false
			if err == nil {
				r.progress = *p
			}
		}()
	}
	return r.progress
}
