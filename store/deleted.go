package store

import (
	"fmt"
	"time"
)

// DeletedExecutionTTL is how long the store keeps the final record of an
// execution deleted with its deployment (a tombstone, GetDeletedExecution)
// by default (Options.DeletedExecutionTTL): long enough for whoever
// follows an uninstall from another process to learn how it ended.
const DeletedExecutionTTL = 10 * time.Minute

// Tombstone returns the record a backend keeps of e when DeleteDeployment
// deletes it at at: its final record with DeletedAt set. An execution
// that had not ended (a forced delete) ends there, failed.
func Tombstone(e *Execution, at time.Time) Execution {
	rec := *e
	rec.DeletedAt = at
	rec.Queued, rec.PID, rec.PIDStart, rec.Host = false, 0, 0, ""
	if !rec.Status.Terminal() {
		rec.Error = fmt.Sprintf("deleted with its deployment while %s", rec.Status)
		rec.Status, rec.EndedAt = ExecutionFailed, at
	}
	return rec
}

// TombstoneLive reports whether a tombstone is still kept at now, under
// the retention ttl.
func TombstoneLive(e *Execution, ttl time.Duration, now time.Time) bool {
	return now.Sub(e.DeletedAt) < ttl
}

// TombstoneTaken is the error of CreateExecution with the id of an
// execution whose tombstone is still kept: an id names one execution
// while a follower may still ask for it.
func TombstoneTaken(e *Execution, ttl time.Duration) error {
	return fmt.Errorf("execution %q: id of an execution deleted with deployment %q at %s, kept until %s: %w",
		e.ID, e.DeploymentID, e.DeletedAt.Format(time.RFC3339), e.DeletedAt.Add(ttl).Format(time.RFC3339), ErrExists)
}

// TombstoneNotFound is GetDeletedExecution's ErrNotFound.
func TombstoneNotFound(id string) error {
	return fmt.Errorf("execution %q: no record of it deleted with its deployment: %w", id, ErrNotFound)
}
