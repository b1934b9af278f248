package manager

import "github.com/gantryhq/gantry/manager/api"

// The Manager is the in-process implementation of the boundary.
var _ api.Service = (*Manager)(nil)
