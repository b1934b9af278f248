package tosca

import (
	"sort"
	"strings"
)

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// suggest returns a "did you mean" hint for name among candidates, or "".
func suggest(name string, candidates []string) string {
	best, bestD := "", 1<<30
	for _, c := range candidates {
		d := editDistance(strings.ToLower(name), strings.ToLower(c))
		if d < bestD {
			best, bestD = c, d
		}
	}
	limit := len(name) / 3
	if limit < 2 {
		limit = 2
	}
	if best != "" && bestD <= limit {
		return "did you mean `" + best + "`?"
	}
	return ""
}

// typeHint is the hint for an unknown type: a close name, or the import
// that brings Cloudify's or Gantry's plugin types in.
func typeHint(name string, candidates []string) string {
	imported := false // Cloudify's types (or Gantry's built-in ones) are imported
	for _, c := range candidates {
		if c == TypeRoot || c == RelDependsOn {
			imported = true
			break
		}
	}
	if h := suggest(name, candidates); h != "" && (imported || !strings.HasPrefix(name, "cloudify.")) {
		return h
	}
	switch {
	case strings.HasPrefix(name, "cloudify.kubernetes."):
		return "the Kubernetes types come with `- plugin:kubernetes` in imports"
	case name == "cloudify.nodes.DeploymentProxy":
		return "the DeploymentProxy type comes with `- plugin:proxy` in imports"
	case strings.HasPrefix(name, "cloudify.") && !imported:
		return "Cloudify's types come from an import: add `- http://www.getcloudify.org/spec/cloudify/4.3.3/types.yaml` to imports; Gantry maps it to its built-in types, offline"
	}
	return ""
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		if a == b {
			return 0
		}
		return 1 << 20
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// allowedList renders candidate keys for a hint.
func allowedList(keys []string) string {
	s := append([]string(nil), keys...)
	sort.Strings(s)
	if len(s) > 12 {
		s = append(s[:12], "...")
	}
	return strings.Join(s, ", ")
}
