package plugins

import "time"

// Seconds reads a duration given in seconds (an operation input or a
// property: an integer or a float); anything else, absent included, is def.
func Seconds(v any, def time.Duration) time.Duration {
	switch n := v.(type) {
	case int:
		return time.Duration(n) * time.Second
	case int64:
		return time.Duration(n) * time.Second
	case float64:
		return time.Duration(n * float64(time.Second))
	}
	return def
}
