package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gantryhq/gantry/manager/api"
)

// readJSON decodes a bounded JSON body into v. Numbers that are whole
// become ints, as they would from YAML on the command line.
func (s *Server) readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	body := http.MaxBytesReader(w, r.Body, s.cfg.Limits.MaxJSONBytes)
	return decodeJSON(body, v)
}

func decodeJSON(body io.Reader, v any) error {
	dec := json.NewDecoder(body)
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return fmt.Errorf("request body exceeds %d bytes: %w", mbe.Limit, api.ErrTooLarge)
		}
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("request body: empty, want a JSON document: %w", api.ErrInvalid)
		}
		if errors.Is(err, api.ErrInvalid) {
			return fmt.Errorf("request body: %w", err) // valid JSON, a field refused by its type (a secret's base64)
		}
		return fmt.Errorf("request body is not valid JSON: %v: %w", err, api.ErrInvalid)
	}
	if dec.More() {
		return fmt.Errorf("request body: more than one JSON document: %w", api.ErrInvalid)
	}
	return nil
}

// Numbers turns json.Number values (from a decoder with UseNumber) into
// int when whole and float64 otherwise, in maps and slices.
func Numbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return int(i)
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = Numbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = Numbers(e)
		}
	}
	return v
}

func numbersIn(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	return Numbers(m).(map[string]any)
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", ContentJSON)
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

// writeRawJSON sends b, a JSON document and a newline (as json.Encoder
// writes a value), with its length, so that it goes out in one piece
// rather than chunked.
func writeRawJSON(w http.ResponseWriter, status int, b []byte) error {
	h := w.Header()
	h.Set("Content-Type", ContentJSON)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, err := w.Write(b)
	return err
}

// pageBuffers are the buffers pages of events are built in (listEvents):
// a page of 100 events is about 25 KB, built for every request.
var pageBuffers = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledPage bounds the buffers pageBuffers keeps: a larger one (a page
// of long log lines) is left to the garbage collector.
const maxPooledPage = 1 << 20

// pageBuffer returns an empty buffer from pageBuffers and the func that
// puts it back holding what was built in it.
func pageBuffer() (buf []byte, done func(used []byte)) {
	p := pageBuffers.Get().(*[]byte)
	return (*p)[:0], func(used []byte) {
		if cap(used) <= maxPooledPage {
			*p = used
			pageBuffers.Put(p)
		}
	}
}

// writeError sends err as an api.Error with its code's status.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := asAPIError(err)
	status := StatusOf(e.Code)
	if status >= http.StatusInternalServerError {
		s.cfg.Log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	_ = writeJSON(w, status, e)
}

// asAPIError gives err its wire form.
func asAPIError(err error) *api.Error {
	var e *api.Error
	if errors.As(err, &e) && e.Error() == err.Error() {
		return e
	}
	out := &api.Error{Code: codeOf(err), Message: err.Error()}
	var pe *api.ProblemsError
	if errors.As(err, &pe) {
		out.Problems = pe
	}
	return out
}

// Query parameters, with a clear error when malformed.

func boolParam(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("query parameter %s=%q: want true or false: %w", name, v, api.ErrInvalid)
	}
	return b, nil
}

func uintParam(r *http.Request, name string) (uint64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("query parameter %s=%q: want a whole number: %w", name, v, api.ErrInvalid)
	}
	return n, nil
}

func durationParam(r *http.Request, name string, limit time.Duration) (time.Duration, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("query parameter %s=%q: want a duration such as 30s: %w", name, v, api.ErrInvalid)
	}
	return min(d, limit), nil
}

// page reads ?after= and ?limit= of a paged list; the limit is capped at
// MaxEventPage, which is also its default.
func (s *Server) page(r *http.Request) (after uint64, limit int, err error) {
	if after, err = uintParam(r, ParamAfter); err != nil {
		return 0, 0, err
	}
	n, err := uintParam(r, ParamLimit)
	if err != nil {
		return 0, 0, err
	}
	if n == 0 || n > uint64(s.cfg.Limits.MaxEventPage) {
		n = uint64(s.cfg.Limits.MaxEventPage)
	}
	return after, int(n), nil
}
