package kubernetes

import (
	"encoding/json"
	"fmt"
)

// Readiness is what one look at an object says.
type Readiness struct {
	Ready  bool
	Reason string // why not (yet), for progress events and timeout errors
	// Fatal is set when waiting longer cannot help (e.g. a pod that Failed).
	Fatal bool
}

// CheckReady decides from `kubectl get -o json` output whether an object is
// ready: pods Running with condition Ready, workloads with all replicas
// available, jobs complete; other kinds are ready once they exist.
func CheckReady(out []byte) (Readiness, error) {
	var obj map[string]any
	if err := json.Unmarshal(out, &obj); err != nil {
		return Readiness{}, fmt.Errorf("reading kubectl get output: %w", err)
	}
	kind, _ := obj["kind"].(string)
	status, _ := obj["status"].(map[string]any)
	spec, _ := obj["spec"].(map[string]any)
	meta, _ := obj["metadata"].(map[string]any)
	num := func(m map[string]any, k string) int64 {
		switch v := m[k].(type) {
		case float64:
			return int64(v)
		case int64:
			return v
		}
		return 0
	}
	desired := func() int64 {
		if _, ok := spec["replicas"]; ok {
			return num(spec, "replicas")
		}
		return 1
	}
	switch kind {
	case "Pod":
		return podReadiness(status), nil
	case "Deployment", "ReplicaSet", "StatefulSet", "ReplicationController":
		if num(status, "observedGeneration") < num(meta, "generation") {
			return Readiness{Reason: "controller has not observed the latest generation"}, nil
		}
		want := desired()
		field := "availableReplicas"
		if kind == "StatefulSet" {
			field = "readyReplicas"
		}
		got := num(status, field)
		if got >= want {
			return Readiness{Ready: true}, nil
		}
		return Readiness{Reason: fmt.Sprintf("%d/%d replicas available", got, want)}, nil
	case "DaemonSet":
		want, got := num(status, "desiredNumberScheduled"), num(status, "numberAvailable")
		if want > 0 && got >= want {
			return Readiness{Ready: true}, nil
		}
		return Readiness{Reason: fmt.Sprintf("%d/%d daemon pods available", got, want)}, nil
	case "Job":
		if num(status, "succeeded") > 0 {
			return Readiness{Ready: true}, nil
		}
		if conds, _ := status["conditions"].([]any); hasCondition(conds, "Failed", "True") {
			return Readiness{Reason: "job failed", Fatal: true}, nil
		}
		return Readiness{Reason: "job has not succeeded yet"}, nil
	default:
		return Readiness{Ready: true}, nil
	}
}

func podReadiness(status map[string]any) Readiness {
	phase, _ := status["phase"].(string)
	conds, _ := status["conditions"].([]any)
	switch phase {
	case "Failed", "Succeeded":
		return Readiness{Reason: "pod phase is " + phase, Fatal: true}
	case "Running":
		if hasCondition(conds, "Ready", "True") {
			return Readiness{Ready: true}
		}
		return Readiness{Reason: "pod Running but not Ready"}
	}
	reason := "pod phase is " + orUnknown(phase)
	if hasCondition(conds, "PodScheduled", "False") {
		reason = "pod not scheduled: " + conditionMessage(conds, "PodScheduled")
	}
	if statuses, _ := status["containerStatuses"].([]any); len(statuses) > 0 {
		for _, cs := range statuses {
			m, _ := cs.(map[string]any)
			state, _ := m["state"].(map[string]any)
			if w, ok := state["waiting"].(map[string]any); ok {
				if r, _ := w["reason"].(string); r != "" {
					reason += " (" + r + ")"
				}
			}
		}
	}
	return Readiness{Reason: reason}
}

func hasCondition(conds []any, typ, want string) bool {
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == typ && m["status"] == want {
			return true
		}
	}
	return false
}

func conditionMessage(conds []any, typ string) string {
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == typ {
			if msg, _ := m["message"].(string); msg != "" {
				return msg
			}
			r, _ := m["reason"].(string)
			return r
		}
	}
	return ""
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
