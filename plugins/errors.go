package plugins

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors.
var (
	// ErrNonRecoverable marks an error that must not be retried. Wrap with
	// NonRecoverable and test with IsNonRecoverable.
	ErrNonRecoverable = errors.New("non-recoverable")
	// ErrUnknownPlugin is returned by Registry.Lookup for a name that is
	// not registered.
	ErrUnknownPlugin = errors.New("unknown plugin")
	// ErrNoSecrets is returned when an operation asks for a secret but the
	// engine has no secret store.
	ErrNoSecrets = errors.New("no secret store configured")
)

type nonRecoverable struct{ err error }

func (e *nonRecoverable) Error() string { return e.err.Error() }
func (e *nonRecoverable) Unwrap() []error {
	return []error{e.err, ErrNonRecoverable}
}

// NonRecoverable marks err so that the engine fails the operation at once,
// without retries. A nil err stays nil.
func NonRecoverable(err error) error {
	if err == nil {
		return nil
	}
	return &nonRecoverable{err: err}
}

// IsNonRecoverable reports whether err (or an error it wraps) was marked
// with NonRecoverable.
func IsNonRecoverable(err error) bool { return errors.Is(err, ErrNonRecoverable) }

// RetryError is a plugin's request to run the operation again after a
// delay. It counts against the operation's retries.
type RetryError struct {
	Message string
	// After is the requested delay; 0 means the operation's (or the
	// workflow's) retry interval.
	After time.Duration
}

func (e *RetryError) Error() string {
	if e.After > 0 {
		return fmt.Sprintf("operation retry requested (after %s): %s", e.After, e.Message)
	}
	return "operation retry requested: " + e.Message
}

// Retry asks the engine to retry the operation after the given delay
// (0: the configured retry interval).
func Retry(msg string, after time.Duration) error {
	return &RetryError{Message: msg, After: after}
}

// AsRetry returns the RetryError in err's chain, if any.
func AsRetry(err error) (*RetryError, bool) {
	var r *RetryError
	if errors.As(err, &r) {
		return r, true
	}
	return nil, false
}
