package remote

import (
	"errors"
	"fmt"

	"github.com/gantryhq/gantry/manager/api"
)

// Errors of the client's own.
var (
	// ErrNoURL: the client was configured without a server URL.
	ErrNoURL = errors.New("no server URL")
	// ErrBadResponse: the server answered something that is not the API.
	ErrBadResponse = errors.New("unexpected response from the server")
	// errStreamCut: an event stream ended (or broke) before its "end" or
	// "error" message; the client reconnects.
	errStreamCut = errors.New("event stream ended early")
)

func unavailable(url string, err error) error {
	return fmt.Errorf("gantry server %s: %v: %w", url, err, api.ErrUnavailable)
}
