package script

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// downloadReq is a download-resource[-and-render] command as the ctx
// command on the script's machine runs it.
type downloadReq struct {
	Path   string // the resource, relative to the blueprint folder
	Target string // where to write it ("" : a new temporary file)
	Render bool
	Vars   string // template variables argument, as given
}

// downloadRequest recognises the download commands (after -j flags).
func downloadRequest(args []string) (downloadReq, bool) {
	for len(args) > 0 && (args[0] == flagJSON || args[0] == flagJSONLong) {
		args = args[1:]
	}
	if len(args) < 2 || (args[0] != cmdDownload && args[0] != cmdDownloadRender) {
		return downloadReq{}, false
	}
	d := downloadReq{Path: args[1], Render: args[0] == cmdDownloadRender}
	rest := args[2:]
	// A template variables argument is JSON (@{...} or {...}); a target is
	// a path.
	if d.Render && len(rest) > 0 {
		last := rest[len(rest)-1]
		if len(last) > 0 && (last[0] == '@' || last[0] == '{') {
			d.Vars, rest = last, rest[:len(rest)-1]
		}
	}
	if len(rest) > 0 {
		d.Target = rest[0]
	}
	return d, true
}

// download fetches the (rendered) resource through call and writes it on
// this machine; it returns the path written.
func download(d downloadReq, call func([]string) (response, error)) (string, error) {
	args := []string{cmdResource, d.Path}
	if d.Render {
		args = []string{cmdRenderResource, d.Path}
		if d.Vars != "" {
			args = append(args, d.Vars)
		}
	}
	resp, err := call(args)
	if err != nil {
		return "", err
	}
	if !resp.OK {
		return "", errors.New(resp.Error)
	}
	body, err := base64.StdEncoding.DecodeString(resp.Output)
	if err != nil {
		return "", fmt.Errorf("resource %s: bad answer from gantry: %w", d.Path, err)
	}
	if d.Target != "" {
		if err := os.WriteFile(d.Target, body, 0o644); err != nil {
			return "", fmt.Errorf("resource %s: %w", d.Path, err)
		}
		return d.Target, nil
	}
	f, err := os.CreateTemp("", "gantry-resource-*-"+filepath.Base(d.Path))
	if err != nil {
		return "", fmt.Errorf("resource %s: %w", d.Path, err)
	}
	_, werr := f.Write(body)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("resource %s: %w", d.Path, werr)
	}
	return f.Name(), nil
}
