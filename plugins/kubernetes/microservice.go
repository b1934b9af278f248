package kubernetes

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/gantryhq/gantry/plugins"
)

// RuntimePlacement maps pod names to the Kubernetes nodes they run on.
const RuntimePlacement = "kubernetes_nodes"

// startMicroservice renders the manifests, applies them with
// `kubectl apply -f -` (the manifest on stdin: nothing is left on the
// master), records what was applied and waits until it is ready. Retrying
// it is safe: apply is idempotent and the record is merged by identity.
func (p *Plugin) startMicroservice(ctx context.Context, op *plugins.Context) error {
	props := op.Node.Properties
	config, _ := props["config"].(map[string]any)
	files, err := ParseConfigFiles(props["config_files"])
	if err != nil {
		return plugins.NonRecoverable(fmt.Errorf("node %s: %w", op.Node.ID, err))
	}
	vars := instanceVars(op)
	for i := range files {
		// A new map: Overrides is the node's properties map, shared by every
		// instance of the node (writing to it would give all instances the
		// first one's names, and race).
		expanded := make(map[string]any, len(files[i].Overrides))
		for path, v := range files[i].Overrides {
			expanded[path] = expandVars(v, vars)
		}
		files[i].Overrides = expanded
	}
	objs, err := RenderManifests(config, files, blueprintReader(op.BlueprintDir))
	if err != nil {
		return plugins.NonRecoverable(fmt.Errorf("node %s: %w", op.Node.ID, err))
	}
	data, err := EncodeList(objs)
	if err != nil {
		return plugins.NonRecoverable(err)
	}
	k, err := p.kubectlFor(ctx, op)
	if err != nil {
		return err
	}
	out, err := k.run(ctx, data, "apply", "-f", "-", "-o", "json")
	if err != nil {
		return err
	}
	applied, err := ParseApplied(out)
	if err != nil {
		return fmt.Errorf("node %s: %w", op.Instance.ID, err)
	}
	known, err := recordedObjects(op)
	if err != nil {
		return plugins.NonRecoverable(err)
	}
	all := MergeObjects(known, applied)
	if err := op.Runtime.Set(ObjectsToRuntime(all), RuntimeObjects); err != nil {
		return err
	}
	names := make([]string, len(applied))
	for i, o := range applied {
		names[i] = o.String()
	}
	op.Log(plugins.LevelInfo, "applied %s", strings.Join(names, ", "))
	return p.waitReady(ctx, op, k, applied)
}

// instanceVars are the placeholders override values may use, so that every
// instance of a scaled Microservice gets objects of its own:
// ${instance_id} (e.g. web_a1b2c3), ${instance_name} (its DNS-safe form,
// web-a1b2c3), ${node_id} and ${deployment_id}.
func instanceVars(op *plugins.Context) map[string]string {
	dns := strings.ToLower(strings.ReplaceAll(op.Instance.ID, "_", "-"))
	return map[string]string{
		"${instance_id}":   op.Instance.ID,
		"${instance_name}": dns,
		"${node_id}":       op.Node.ID,
		"${deployment_id}": op.DeploymentID,
	}
}

// expandVars replaces the placeholders in every string inside v.
func expandVars(v any, vars map[string]string) any {
	switch t := v.(type) {
	case string:
		if !strings.Contains(t, "${") {
			return t
		}
		for k, val := range vars {
			t = strings.ReplaceAll(t, k, val)
		}
		return t
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = expandVars(e, vars)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = expandVars(e, vars)
		}
		return out
	}
	return v
}

func recordedObjects(op *plugins.Context) ([]Object, error) {
	v, _ := op.Runtime.Get(RuntimeObjects)
	return ObjectsFromRuntime(v)
}

// blueprintReader reads blueprint-relative files, refusing paths that leave
// the blueprint folder.
func blueprintReader(dir string) func(string) ([]byte, error) {
	return func(rel string) ([]byte, error) {
		if filepath.IsAbs(rel) || strings.HasPrefix(filepath.Clean(rel), "..") {
			return nil, fmt.Errorf("%s is outside the blueprint folder: config_files take blueprint-relative paths", rel)
		}
		root, err := os.OpenRoot(dir)
		if err != nil {
			return nil, err
		}
		defer root.Close()
		return root.ReadFile(rel)
	}
}

// waitReady polls the applied objects until all are ready.
func (p *Plugin) waitReady(ctx context.Context, op *plugins.Context, k *kubectl, objs []Object) error {
	pending := append([]Object(nil), objs...)
	placement := map[string]any{}
	lastReason := ""
	for {
		var still []Object
		for _, o := range pending {
			args := []string{"get", o.Ref(), "-o", "json"}
			if o.Namespace != "" {
				args = append(args, "-n", o.Namespace)
			}
			out, err := k.run(ctx, nil, args...)
			if err != nil {
				return err
			}
			r, err := CheckReady(out)
			if err != nil {
				return err
			}
			if r.Fatal {
				return plugins.NonRecoverable(fmt.Errorf("%s will not become ready: %s", o, r.Reason))
			}
			if !r.Ready {
				still = append(still, o)
				lastReason = o.String() + ": " + r.Reason
				continue
			}
			if o.Kind == "Pod" {
				if node := podNode(out); node != "" {
					placement[o.Name] = node
				}
			}
		}
		if len(still) == 0 {
			if len(placement) > 0 {
				if err := op.Runtime.Set(placement, RuntimePlacement); err != nil {
					return err
				}
				op.Log(plugins.LevelInfo, "ready: %s", describePlacement(placement))
			} else {
				op.Log(plugins.LevelInfo, "all %d object(s) ready", len(objs))
			}
			return nil
		}
		pending = still
		if time.Now().Add(p.poll()).After(k.deadline) {
			return fmt.Errorf("timed out waiting for %d object(s) to become ready; last: %s", len(still), lastReason)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(p.poll()):
		}
	}
}

func podNode(out []byte) string {
	var pod struct {
		Spec struct {
			NodeName string `json:"nodeName"`
		} `json:"spec"`
	}
	if json.Unmarshal(out, &pod) != nil {
		return ""
	}
	return pod.Spec.NodeName
}

func describePlacement(m map[string]any) string {
	var parts []string
	for pod, node := range m {
		parts = append(parts, fmt.Sprintf("pod %s on node %v", pod, node))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// stopMicroservice deletes exactly the recorded objects, newest first, and
// waits until they are gone.
func (p *Plugin) stopMicroservice(ctx context.Context, op *plugins.Context) error {
	objs, err := recordedObjects(op)
	if err != nil {
		return plugins.NonRecoverable(err)
	}
	if len(objs) == 0 {
		op.Log(plugins.LevelInfo, "nothing recorded to delete")
		return nil
	}
	k, err := p.kubectlFor(ctx, op)
	if err != nil {
		return err
	}
	for i := len(objs) - 1; i >= 0; i-- {
		o := objs[i]
		args := []string{"delete", o.Ref(), "--ignore-not-found", "--wait=false"}
		if o.Namespace != "" {
			args = append(args, "-n", o.Namespace)
		}
		if _, err := k.run(ctx, nil, args...); err != nil {
			return err
		}
	}
	for {
		var left []string
		for _, o := range objs {
			args := []string{"get", o.Ref(), "--ignore-not-found", "-o", "name"}
			if o.Namespace != "" {
				args = append(args, "-n", o.Namespace)
			}
			out, err := k.run(ctx, nil, args...)
			if err != nil {
				return err
			}
			if strings.TrimSpace(string(out)) != "" {
				left = append(left, o.String())
			}
		}
		if len(left) == 0 {
			break
		}
		if time.Now().Add(p.poll()).After(k.deadline) {
			return fmt.Errorf("timed out waiting for %s to be deleted", strings.Join(left, ", "))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(p.poll()):
		}
	}
	names := make([]string, len(objs))
	for i, o := range objs {
		names[i] = o.String()
	}
	op.Log(plugins.LevelInfo, "deleted %s", strings.Join(names, ", "))
	if err := op.Runtime.Delete(RuntimeObjects); err != nil {
		return err
	}
	return op.Runtime.Delete(RuntimePlacement)
}
