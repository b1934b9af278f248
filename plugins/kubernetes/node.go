package kubernetes

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/gantryhq/gantry/plugins"
)

// RuntimeLabels records the labels node.label set, for node.unlabel.
const RuntimeLabels = "labels"

// parseLabels reads the labels input: a list of maps (the 2016 blueprint's
// `- role: router`), or one map.
func parseLabels(v any) (map[string]string, error) {
	out := map[string]string{}
	add := func(m map[string]any) error {
		for k, val := range m {
			if k == "" {
				return fmt.Errorf("a label has an empty key")
			}
			out[k] = fmt.Sprint(val)
		}
		return nil
	}
	switch l := v.(type) {
	case nil:
	case map[string]any:
		if err := add(l); err != nil {
			return nil, err
		}
	case []any:
		for i, e := range l {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("labels[%d] must be a map like {role: router}, got %T", i, e)
			}
			if err := add(m); err != nil {
				return nil, err
			}
		}
	default:
		return nil, fmt.Errorf("labels must be a list of maps like [{role: router}], got %T", v)
	}
	return out, nil
}

func nodeName(op *plugins.Context) (string, error) {
	if n := str(op.Node.Properties, "name"); n != "" {
		return n, nil
	}
	return "", plugins.NonRecoverable(fmt.Errorf("node %s: set the name property to the Kubernetes node's name", op.Node.ID))
}

// labelNode applies the labels input to the Kubernetes node.
func (p *Plugin) labelNode(ctx context.Context, op *plugins.Context) error {
	name, err := nodeName(op)
	if err != nil {
		return err
	}
	labels, err := parseLabels(op.Inputs["labels"])
	if err != nil {
		return plugins.NonRecoverable(fmt.Errorf("node %s: %w", op.Node.ID, err))
	}
	if len(labels) == 0 {
		op.Log(plugins.LevelInfo, "no labels for Kubernetes node %s", name)
		return nil
	}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	args := []string{"label", "node", name}
	for _, k := range keys {
		args = append(args, k+"="+labels[k])
	}
	if overwrite, ok := op.Inputs["overwrite"]; !ok || truthy(overwrite) {
		args = append(args, "--overwrite")
	}
	k, err := p.kubectlFor(ctx, op)
	if err != nil {
		return err
	}
	// Record first: a label that was set must be removed even if the
	// command's answer is lost.
	rec := map[string]any{"node": name, "keys": toAny(keys)}
	if err := op.Runtime.Set(rec, RuntimeLabels); err != nil {
		return err
	}
	if _, err := k.run(ctx, nil, args...); err != nil {
		return err
	}
	op.Log(plugins.LevelInfo, "labelled Kubernetes node %s: %s", name, strings.Join(args[3:], " "))
	return nil
}

// unlabelNode removes the labels labelNode set.
func (p *Plugin) unlabelNode(ctx context.Context, op *plugins.Context) error {
	v, ok := op.Runtime.Get(RuntimeLabels)
	if !ok {
		return nil
	}
	rec, _ := v.(map[string]any)
	name := str(rec, "node")
	keys, _ := rec["keys"].([]any)
	if name == "" || len(keys) == 0 {
		return op.Runtime.Delete(RuntimeLabels)
	}
	args := []string{"label", "node", name}
	for _, key := range keys {
		args = append(args, fmt.Sprint(key)+"-")
	}
	k, err := p.kubectlFor(ctx, op)
	if err != nil {
		return err
	}
	if _, err := k.run(ctx, nil, args...); err != nil {
		if strings.Contains(err.Error(), "NotFound") || strings.Contains(err.Error(), "not found") {
			op.Log(plugins.LevelWarn, "Kubernetes node %s is gone; nothing to unlabel", name)
		} else {
			return err
		}
	}
	op.Log(plugins.LevelInfo, "removed labels %s from Kubernetes node %s", strings.Join(args[3:], " "), name)
	return op.Runtime.Delete(RuntimeLabels)
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
