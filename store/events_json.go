package store

import (
	"context"
	"encoding/json"
	"fmt"
)

// EventsJSONReader is implemented by stores that give a page of events as
// JSON without decoding each stored event and encoding it again
// (BoltStore): what a server answers a list of events with.
type EventsJSONReader interface {
	// EventsJSON appends to dst the JSON array of the events that
	// Events(ctx, executionID, afterSeq, limit) returns, byte for byte as
	// json.Marshal encodes them, and returns it with their number.
	EventsJSON(ctx context.Context, executionID string, afterSeq uint64, limit int, dst []byte) ([]byte, int, error)
}

// EventsJSON is that page from any store: through its EventsJSONReader
// (looking through wrappers, as AsWatcher), else Events encoded.
func EventsJSON(ctx context.Context, s Store, executionID string, afterSeq uint64, limit int, dst []byte) ([]byte, int, error) {
	if r, ok := Backend(s).(EventsJSONReader); ok {
		return r.EventsJSON(ctx, executionID, afterSeq, limit, dst)
	}
	evs, err := s.Events(ctx, executionID, afterSeq, limit)
	if err != nil {
		return dst, 0, err
	}
	return AppendEventsJSON(dst, evs)
}

// AppendEventsJSON appends the JSON array of evs (as EventsJSON does)
// and returns it with their number.
func AppendEventsJSON(dst []byte, evs []*Event) ([]byte, int, error) {
	if evs == nil {
		evs = []*Event{}
	}
	b, err := json.Marshal(evs)
	if err != nil {
		return dst, 0, fmt.Errorf("encode events: %w", err)
	}
	return append(dst, b...), len(evs), nil
}
