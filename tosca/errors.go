package tosca

import "errors"

// ErrCompactPlan: a compact plan (CompactPlan) that does not describe a
// plan: another format, or a reference to an operation set it lacks.
var ErrCompactPlan = errors.New("invalid compact plan")
