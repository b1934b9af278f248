package plan

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors; the errors returned by this package wrap one of them so
// that callers can branch with errors.Is.
var (
	// ErrUnknownTarget: a relationship target, group member or instance
	// reference names something that does not exist.
	ErrUnknownTarget = errors.New("unknown target")
	// ErrUnsupportedRelationship: a relationship type that does not derive
	// from depends_on, connected_to or contained_in.
	ErrUnsupportedRelationship = errors.New("unsupported relationship")
	// ErrConnectionType: connection_type is not all_to_all or all_to_one.
	ErrConnectionType = errors.New("invalid connection_type")
	// ErrContainment: the contained_in structure (with scaling groups) is
	// not a forest, e.g. two contained_in relationships or a cycle.
	ErrContainment = errors.New("invalid containment")
	// ErrScalingGroup: an invalid scaling group (member in two groups,
	// group cycle, members contained in different nodes).
	ErrScalingGroup = errors.New("invalid scaling group")
	// ErrAllToOneInGroup: all_to_one between two members of one scaling group.
	ErrAllToOneInGroup = errors.New("all_to_one is not supported within a scaling group")
	// ErrCycle: the instance dependency graph has a cycle.
	ErrCycle = errors.New("dependency cycle")
	// ErrScaleBounds: a modification would leave an entity outside its
	// min_instances..max_instances range.
	ErrScaleBounds = errors.New("instance count out of bounds")
	// ErrUnknownEntity: a modification names neither a node nor a scaling group.
	ErrUnknownEntity = errors.New("unknown node or scaling group")
	// ErrTooManyInstances: the plan would have more node instances than
	// the limit (tosca.InstanceLimit).
	ErrTooManyInstances = errors.New("too many node instances")
	// ErrNoInstances: an operation needs node instances but the plan has none.
	ErrNoInstances = errors.New("plan has no node instances")
)

// CycleError reports a dependency cycle as the list of instance (or node)
// ids along it; the first id is repeated at the end.
type CycleError struct {
	Path []string
}

func (e *CycleError) Error() string {
	return fmt.Sprintf("%v: %s", ErrCycle, strings.Join(e.Path, " -> "))
}

// Unwrap makes errors.Is(err, ErrCycle) true.
func (e *CycleError) Unwrap() error { return ErrCycle }
