package manager

import "github.com/gantryhq/gantry/manager/api"

// Sentinel errors callers branch on: the boundary's (manager/api), named
// here for callers inside the module that hold a *Manager.
var (
	ErrInvalidBlueprint = api.ErrInvalidBlueprint
	ErrActiveExecution  = api.ErrActiveExecution
	ErrDependents       = api.ErrDependents
	ErrNotResumable     = api.ErrNotResumable
	ErrBadParameter     = api.ErrBadParameter
)

// ProblemsError carries the problems of an invalid blueprint or inputs.
type ProblemsError = api.ProblemsError
