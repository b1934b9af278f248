package tosca

import (
	"fmt"
	"strconv"
	"strings"
)

// dslVersion is a parsed `cloudify_dsl_<major>_<minor>[_<micro>]`.
type dslVersion struct{ major, minor, micro int }

var (
	v1_0 = dslVersion{1, 0, 0}
	v1_1 = dslVersion{1, 1, 0}
	v1_2 = dslVersion{1, 2, 0}
	v1_3 = dslVersion{1, 3, 0}
	v1_4 = dslVersion{1, 4, 0}
)

// SupportedVersions are the accepted tosca_definitions_version values.
var SupportedVersions = []string{"cloudify_dsl_1_0", "cloudify_dsl_1_1", "cloudify_dsl_1_2", "cloudify_dsl_1_3", "cloudify_dsl_1_4", "cloudify_dsl_1_5"}

func (v dslVersion) String() string {
	s := fmt.Sprintf("cloudify_dsl_%d_%d", v.major, v.minor)
	if v.micro != 0 {
		s += fmt.Sprintf("_%d", v.micro)
	}
	return s
}

func (v dslVersion) less(o dslVersion) bool {
	if v.major != o.major {
		return v.major < o.major
	}
	if v.minor != o.minor {
		return v.minor < o.minor
	}
	return v.micro < o.micro
}

func (v dslVersion) atLeast(o dslVersion) bool { return !v.less(o) }

// parseVersion parses a version string; ok is false for anything Gantry
// does not support.
func parseVersion(s string) (dslVersion, bool) {
	rest, ok := strings.CutPrefix(s, "cloudify_dsl_")
	if !ok {
		return dslVersion{}, false
	}
	parts := strings.Split(rest, "_")
	if len(parts) < 2 || len(parts) > 3 {
		return dslVersion{}, false
	}
	var nums [3]int
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || (len(p) > 1 && p[0] == '0') {
			return dslVersion{}, false
		}
		nums[i] = n
	}
	v := dslVersion{nums[0], nums[1], nums[2]}
	if v.major != 1 || v.minor > 5 {
		return v, false
	}
	return v, true
}
