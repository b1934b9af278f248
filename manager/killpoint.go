//go:build !gantry_killpoints

package manager

// killPoint reports whether the process is to be killed at the point
// named: never, outside the crash tests' build (tag gantry_killpoints,
// killpoint_tagged.go).
func killPoint(string) bool { return false }

func killSelf() {}
