package script

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gantryhq/gantry/plugins"
)

// Resource commands. get-resource prints a blueprint file's text; the
// download commands are run by the ctx command on the script's machine,
// which asks the engine with the internal resource / render-resource
// commands (base64 content) and writes the file there.
const (
	cmdGetResource     = "get-resource"
	cmdDownload        = "download-resource"
	cmdDownloadRender  = "download-resource-and-render"
	cmdResource        = "resource"        // internal: base64 of the file
	cmdRenderResource  = "render-resource" // internal: base64 of the rendered file
	maxResourceBytes   = 8 << 20
	resourceUsage      = "usage: ctx get-resource PATH"
	renderResourceHelp = "usage: ctx download-resource-and-render PATH [TARGET] [@{TEMPLATE_VARIABLES}]"
)

// ErrResource is wrapped by errors about a blueprint resource.
var ErrResource = errors.New("resource error")

func (s *session) resourceCmd(args []string) (any, error) {
	if len(args) < 2 {
		return nil, errors.New(resourceUsage)
	}
	body, err := readResource(s.oc.BlueprintDir, args[1])
	if err != nil {
		return nil, err
	}
	switch args[0] {
	case cmdGetResource:
		if len(args) != 2 {
			return nil, errors.New(resourceUsage)
		}
		return string(body), nil
	case cmdResource:
		return base64.StdEncoding.EncodeToString(body), nil
	}
	vars := map[string]any{}
	if len(args) > 2 {
		v, err := parseValue(args[2])
		if err != nil {
			return nil, err
		}
		m, ok := v.(map[string]any)
		if !ok && v != nil {
			return nil, fmt.Errorf("%s: template variables must be a mapping, got %T", renderResourceHelp, v)
		}
		if m != nil {
			vars = m
		}
	}
	out, err := render(args[1], string(body), s.templateScope(vars))
	if err != nil {
		return nil, err
	}
	return base64.StdEncoding.EncodeToString([]byte(out)), nil
}

// readResource reads a file of the blueprint folder, refusing paths that
// leave it (also through symlinks) and files over maxResourceBytes.
func readResource(dir, rel string) ([]byte, error) {
	if dir == "" {
		return nil, fmt.Errorf("resource %s: no blueprint folder: %w", rel, ErrResource)
	}
	clean := filepath.Clean(strings.TrimPrefix(rel, "/"))
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("resource %s: %w", rel, err)
	}
	defer root.Close()
	f, err := root.Open(clean)
	if err != nil {
		return nil, fmt.Errorf("resource %s: %w (%w)", rel, err, ErrResource)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("resource %s: %w", rel, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("resource %s is not a regular file: %w", rel, ErrResource)
	}
	if fi.Size() > maxResourceBytes {
		return nil, fmt.Errorf("resource %s is %d bytes, over the %d byte limit: %w", rel, fi.Size(), maxResourceBytes, ErrResource)
	}
	body, err := io.ReadAll(io.LimitReader(f, maxResourceBytes+1))
	if err != nil {
		return nil, fmt.Errorf("resource %s: %w", rel, err)
	}
	if len(body) > maxResourceBytes {
		return nil, fmt.Errorf("resource %s grew over the %d byte limit: %w", rel, maxResourceBytes, ErrResource)
	}
	return body, nil
}

// templateScope is what a rendered resource sees: ctx (as Cloudify's
// template context names it) and the template variables at the top level.
func (s *session) templateScope(vars map[string]any) map[string]any {
	oc := s.oc
	scope := map[string]any{}
	for k, v := range vars {
		scope[k] = v
	}
	node := map[string]any{"id": oc.Node.ID, "name": oc.Node.Name, "type": oc.Node.Type, "properties": oc.Node.Properties}
	inst := map[string]any{"id": oc.Instance.ID, "host_ip": oc.HostIP, "runtime_properties": oc.Runtime.All()}
	ctx := map[string]any{
		"node": node, "instance": inst,
		"deployment":   map[string]any{"id": oc.DeploymentID},
		"blueprint":    map[string]any{"id": oc.BlueprintID},
		"execution_id": oc.ExecutionID,
		"workflow_id":  oc.Workflow,
		"operation":    map[string]any{"name": oc.OperationName, "retry_number": oc.Attempt, "max_retries": oc.MaxRetries},
	}
	for name, ep := range map[string]*plugins.Endpoint{"source": oc.Source, "target": oc.Target} {
		if ep != nil {
			ctx[name] = map[string]any{
				"node":     map[string]any{"id": ep.Node.ID, "name": ep.Node.Name, "type": ep.Node.Type, "properties": ep.Node.Properties},
				"instance": map[string]any{"id": ep.Instance.ID, "runtime_properties": ep.Runtime.All()},
			}
		}
	}
	scope["ctx"] = ctx
	return scope
}
