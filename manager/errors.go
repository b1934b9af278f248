package manager

import (
	"errors"

	"github.com/gantryhq/gantry/manager/api"
)

// Sentinel errors callers branch on: the boundary's (manager/api), named
// here for callers inside the module that hold a *Manager.
var (
	ErrInvalidBlueprint = api.ErrInvalidBlueprint
	ErrActiveExecution  = api.ErrActiveExecution
	ErrDependents       = api.ErrDependents
	ErrInUse            = api.ErrInUse
	ErrNotResumable     = api.ErrNotResumable
	ErrBadParameter     = api.ErrBadParameter
	ErrInvalid          = api.ErrInvalid
)

// ErrDataDirUnsafe is returned (with api.ErrInvalid, the boundary's
// sentinel) when the data folder could be changed by another local user:
// it is not a folder of the current user (a symbolic link, or owned by
// someone else). See datadir.go.
var ErrDataDirUnsafe = errors.New("data folder is not private")

// ProblemsError carries the problems of an invalid blueprint or inputs.
type ProblemsError = api.ProblemsError
