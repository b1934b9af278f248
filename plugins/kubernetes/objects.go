package kubernetes

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Object identifies one Kubernetes object Gantry applied. The list of them
// is kept in the instance's runtime properties (RuntimeObjects) so that stop
// deletes exactly what start created, even after a retry or a crash.
type Object struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
	UID        string `json:"uid,omitempty"`
}

// Ref is the kubectl resource argument, e.g. "pod/quagga" or "deployment.apps/web".
func (o Object) Ref() string {
	kind := strings.ToLower(o.Kind)
	if group, _, ok := strings.Cut(o.APIVersion, "/"); ok {
		kind += "." + group
	}
	return kind + "/" + o.Name
}

func (o Object) String() string {
	if o.Namespace == "" {
		return o.Kind + "/" + o.Name
	}
	return o.Kind + "/" + o.Namespace + "/" + o.Name
}

// RuntimeObjects is the runtime property holding the applied objects.
const RuntimeObjects = "kubernetes_objects"

// ParseApplied reads the output of `kubectl apply -o json`: one object, or a
// List of them.
func ParseApplied(out []byte) ([]Object, error) {
	var doc map[string]any
	if err := json.Unmarshal(out, &doc); err != nil {
		return nil, fmt.Errorf("reading kubectl apply output: %w", err)
	}
	if kind, _ := doc["kind"].(string); kind == "List" || strings.HasSuffix(kind, "List") && doc["items"] != nil {
		items, _ := doc["items"].([]any)
		objs := make([]Object, 0, len(items))
		for _, it := range items {
			m, ok := it.(map[string]any)
			if !ok {
				continue
			}
			objs = append(objs, objectOf(m))
		}
		return objs, nil
	}
	return []Object{objectOf(doc)}, nil
}

func objectOf(m map[string]any) Object {
	meta, _ := m["metadata"].(map[string]any)
	str := func(v any) string { s, _ := v.(string); return s }
	return Object{
		APIVersion: str(m["apiVersion"]),
		Kind:       str(m["kind"]),
		Namespace:  str(meta["namespace"]),
		Name:       str(meta["name"]),
		UID:        str(meta["uid"]),
	}
}

// ObjectsToRuntime converts objects to a JSON-friendly runtime property value.
func ObjectsToRuntime(objs []Object) []any {
	out := make([]any, len(objs))
	for i, o := range objs {
		m := map[string]any{"apiVersion": o.APIVersion, "kind": o.Kind, "name": o.Name}
		if o.Namespace != "" {
			m["namespace"] = o.Namespace
		}
		if o.UID != "" {
			m["uid"] = o.UID
		}
		out[i] = m
	}
	return out
}

// ObjectsFromRuntime reads the runtime property back (tolerating absence).
func ObjectsFromRuntime(v any) ([]Object, error) {
	if v == nil {
		return nil, nil
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("runtime property %s: %w", RuntimeObjects, err)
	}
	var objs []Object
	if err := json.Unmarshal(data, &objs); err != nil {
		return nil, fmt.Errorf("runtime property %s is not a list of objects: %w", RuntimeObjects, err)
	}
	return objs, nil
}

// MergeObjects adds objs to known, replacing entries with the same identity
// (kind, namespace, name): a retried start records each object once.
func MergeObjects(known, objs []Object) []Object {
	key := func(o Object) string { return o.Kind + "\x00" + o.Namespace + "\x00" + o.Name }
	idx := make(map[string]int, len(known)+len(objs))
	out := append([]Object(nil), known...)
	for i, o := range out {
		idx[key(o)] = i
	}
	for _, o := range objs {
		if i, ok := idx[key(o)]; ok {
			out[i] = o
			continue
		}
		idx[key(o)] = len(out)
		out = append(out, o)
	}
	return out
}
