package plandiff

import "errors"

// ErrNoPlan: Diff was given a nil plan.
var ErrNoPlan = errors.New("no plan to compare")
