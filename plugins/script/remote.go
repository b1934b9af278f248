package script

import "github.com/gantryhq/gantry/plugins"

// Session answers the ctx commands of one operation whose script runs
// somewhere else (over SSH on the node's host): the remote `ctx` forwards
// its arguments here and prints the answer, exactly like the local one.
type Session struct{ s *session }

// NewSession returns the ctx endpoint of an operation.
func NewSession(oc *plugins.Context) *Session {
	return &Session{s: &session{oc: oc}}
}

// Handle runs one ctx command (its arguments, without "ctx").
func (s *Session) Handle(args []string) (string, error) { return s.s.handle(args) }

// Outcome reports what the script asked for through ctx: a return value
// (ctx returns), a retry (ctx retry-operation) or an abort (ctx abort-operation).
func (s *Session) Outcome() (ret any, retry *plugins.RetryError, abortMsg string, aborted bool) {
	return s.s.result()
}
