package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gantryhq/gantry/manager/api"
)

// errGotEvent stops a long poll's follow at the first event.
var errGotEvent = errors.New("got an event")

// listEvents is GET .../events?after=&limit=&wait=: a page of events, or
// with wait a long poll that answers as soon as there is one (or the
// execution ends: HeaderEnded, or wait passes: an empty page).
func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	after, limit, err := s.page(r)
	if err != nil {
		return err
	}
	wait, err := durationParam(r, ParamWait, s.cfg.Limits.MaxLongPoll)
	if err != nil {
		return err
	}
	// The page as stored: no event is decoded and encoded again, and the
	// buffer is reused.
	buf, done := pageBuffer()
	page, n, err := s.cfg.Service.EventsJSON(r.Context(), id, after, limit, buf)
	defer func() { done(page) }()
	if err != nil {
		return err
	}
	if n == 0 && wait > 0 {
		ctx, cancel := context.WithTimeout(r.Context(), wait)
		ended, ferr := s.cfg.Service.FollowEvents(ctx, id, after, func(*api.Event) error { return errGotEvent })
		cancel()
		switch {
		case errors.Is(ferr, errGotEvent):
			if page, _, err = s.cfg.Service.EventsJSON(r.Context(), id, after, limit, page[:0]); err != nil {
				return err
			}
		case ferr == nil && ended != nil:
			w.Header().Set(HeaderEnded, "true")
		case r.Context().Err() != nil:
			return r.Context().Err()
		case ctx.Err() == nil && ferr != nil:
			return ferr
		}
	}
	page = append(page, '\n')
	return writeRawJSON(w, http.StatusOK, page)
}

// streamEvents is GET .../events/stream: Server-Sent Events from the
// sequence number in ?after= or Last-Event-ID (the larger), one "event"
// per api.Event with its seq as id, then "end" with the ended execution
// (or "error"). Comments keep an idle stream alive.
func (s *Server) streamEvents(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	after, err := uintParam(r, ParamAfter)
	if err != nil {
		return err
	}
	if v := r.Header.Get(HeaderLastEventID); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return fmt.Errorf("%s %q: want a sequence number: %w", HeaderLastEventID, v, api.ErrInvalid)
		}
		after = max(after, n)
	}
	// One deleted with its deployment (uninstall) is its final record:
	// the stream is its end alone.
	if _, err := s.cfg.Service.GetExecution(r.Context(), id); err != nil {
		return err
	}
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a stream lasts as long as its execution
	h := w.Header()
	h.Set("Content-Type", ContentEventStream)
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	var mu sync.Mutex // one writer at a time: events and heartbeats
	send := func(format string, args ...any) error {
		mu.Lock()
		defer mu.Unlock()
		if _, err := fmt.Fprintf(w, format, args...); err != nil {
			return err
		}
		return rc.Flush()
	}
	if err := send(": stream of execution %s after %d\n\n", id, after); err != nil {
		return nil // the client went away
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		t := time.NewTicker(heartbeatEvery)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				_ = send(": ping\n\n")
			}
		}
	}()
	ended, err := s.cfg.Service.FollowEvents(r.Context(), id, after, func(e *api.Event) error {
		b, err := json.Marshal(e)
		if err != nil {
			return err
		}
		return send("id: %d\nevent: %s\ndata: %s\n\n", e.Seq, SSEEvent, b)
	})
	if r.Context().Err() != nil {
		return nil
	}
	if err != nil {
		b, _ := json.Marshal(asAPIError(err))
		_ = send("event: %s\ndata: %s\n\n", SSEError, b)
		return nil
	}
	b, _ := json.Marshal(ended)
	_ = send("event: %s\ndata: %s\n\n", SSEEnd, b)
	return nil
}
