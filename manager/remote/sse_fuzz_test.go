package remote

import (
	"bytes"
	"errors"
	"testing"

	"github.com/gantryhq/gantry/manager/api"
)

// FuzzReadEvents: whatever a server sends, reading its event stream ends
// (no panic, no hang) with the end, an error, or the cut; every event
// handed on decoded as one.
func FuzzReadEvents(f *testing.F) {
	for _, seed := range []string{
		": stream of execution x after 0\n\nid: 1\nevent: event\ndata: {\"seq\":1,\"type\":\"task_sent\"}\n\nevent: end\ndata: {\"id\":\"x\",\"status\":\"terminated\"}\n\n",
		"event: error\ndata: {\"code\":\"not_found\",\"message\":\"no\"}\n\n",
		"event: event\ndata: {\"seq\":\ndata: 2}\n\n",
		"event: end\ndata: null\n\n",
		"event: error\ndata: {}\n\n",
		"data: x\n\n",
		"event: event\ndata: [1,2]\n\n",
		"\n\n\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		n := 0
		ended, err := readEvents(bytes.NewReader(in), func(e *api.Event) error {
			if e == nil {
				t.Fatal("a nil event handed on")
			}
			n++
			return nil
		})
		switch {
		case err == nil && ended == nil:
			t.Fatal("no end and no error")
		case err != nil && ended != nil:
			t.Fatalf("an end and an error: %v", err)
		case err != nil && !errors.Is(err, errStreamCut) && !errors.Is(err, ErrBadResponse):
			var apiErr *api.Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("an error of no known kind: %v", err)
			}
		}
	})
}

// A cut stream, an "end" and an "error" each end the read as they should.
func TestReadEvents(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		events   int
		ended    bool
		err      error
	}{
		{"end", "event: event\ndata: {\"seq\":1}\n\nevent: end\ndata: {\"id\":\"x\",\"status\":\"terminated\"}\n\n", 1, true, nil},
		{"cut", "event: event\ndata: {\"seq\":1}\n\nevent: event\ndata: {\"seq\":2}\n", 1, false, errStreamCut},
		{"error", "event: error\ndata: {\"code\":\"not_found\",\"message\":\"gone\"}\n\n", 0, false, api.ErrNotFound},
		{"bad event", "event: event\ndata: {\n\n", 0, false, ErrBadResponse},
		{"unknown skipped", "event: other\ndata: 1\n\nevent: end\ndata: {}\n\n", 0, true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := 0
			ended, err := readEvents(bytes.NewReader([]byte(tc.in)), func(*api.Event) error { n++; return nil })
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err %v, want %v", err, tc.err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if (ended != nil) != tc.ended || n != tc.events {
				t.Fatalf("ended %v, %d events; want %v, %d", ended != nil, n, tc.ended, tc.events)
			}
		})
	}
}
