package cmdutil

import (
	"errors"
	"fmt"
)

// Exit codes. They are part of Gantry's interface (README "Exit codes"):
// scripts branch on them, so they never change meaning.
const (
	ExitOK        = 0 // success
	ExitFailed    = 1 // the blueprint has problems, or the execution failed
	ExitUsage     = 2 // wrong command line: unknown flag, missing argument
	ExitCancelled = 3 // the execution was cancelled
	ExitNotFound  = 4 // the named blueprint, deployment, execution or secret does not exist
	ExitBusy      = 5 // the store is held by another gantry process, or a refusal (dependents exist, no permission)
	ExitInternal  = 6 // an unexpected error inside Gantry
)

// ExitError carries an exit code up to main with an optional message.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// Exit wraps err with an exit code. A nil err yields a silent exit.
func Exit(code int, err error) error { return &ExitError{Code: code, Err: err} }

// Silent is an ExitError whose message was already printed.
func Silent(code int) error { return &ExitError{Code: code} }

// ExitCode maps an error returned by a command to the process exit code.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return ExitFailed
}
