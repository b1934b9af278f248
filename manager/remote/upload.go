package remote

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"path/filepath"

	"github.com/gantryhq/gantry/manager"
	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/manager/server"
	"github.com/gantryhq/gantry/store"
)

// localBlueprint is a blueprint folder archived for upload.
type localBlueprint struct {
	id      string // the id to upload it as
	main    string // the main file's name
	source  string // the folder as the user named it, for messages
	archive []byte // tar.gz of the folder
}

// archiveBlueprint resolves path as the local manager does (a main file
// or a folder with blueprint.yaml; the id defaults to the folder's name)
// and archives the main file's folder.
func archiveBlueprint(id, path string) (*localBlueprint, error) {
	main, err := manager.ResolveBlueprintPath(path)
	if err != nil {
		return nil, err
	}
	if id == "" {
		id = manager.DefaultBlueprintID(main)
	}
	dir := filepath.Dir(main)
	data, err := store.ArchiveDir(dir, store.DefaultMaxArchiveBytes)
	if err != nil {
		return nil, fmt.Errorf("archiving blueprint folder %s: %w", dir, err)
	}
	return &localBlueprint{id: id, main: filepath.Base(main), source: dir, archive: data}, nil
}

// UploadBlueprint archives the folder at path and uploads it.
func (c *Client) UploadBlueprint(ctx context.Context, id, path string) (*api.Blueprint, error) {
	lb, err := archiveBlueprint(id, path)
	if err != nil {
		return nil, err
	}
	return one[api.Blueprint](ctx, c, request{
		method: http.MethodPut, path: server.PathOf(server.PathBlueprint, lb.id),
		query: query(server.ParamMain, lb.main, server.ParamSource, lb.source),
		body:  bytes.NewReader(lb.archive), ctype: server.ContentTarGz,
	})
}

// Install uploads the folder at req.Path with the request and follows the
// install it starts.
func (c *Client) Install(ctx context.Context, req api.InstallRequest) (*api.InstallStarted, error) {
	lb, err := archiveBlueprint(req.BlueprintID, req.Path)
	if err != nil {
		return nil, err
	}
	req.BlueprintID = lb.id
	req.Options.Follow = true // as every start (run.go)
	body, ctype, err := withBlueprint(server.InstallBody{InstallRequest: req, MainFile: lb.main, Source: lb.source}, lb)
	if err != nil {
		return nil, err
	}
	out, err := one[server.InstallResponse](ctx, c, request{
		method: http.MethodPost, path: server.PathInstall, body: body, ctype: ctype,
	})
	if err != nil {
		return nil, err
	}
	if out.InstallStarted == nil || out.Execution == nil {
		return nil, fmt.Errorf("install: no execution in the answer: %w", ErrBadResponse)
	}
	started := out.InstallStarted
	started.Run = c.follow(ctx, out.Execution, req.Options, false)
	return started, nil
}

// withBlueprint is a multipart body of the request part (reqBody as JSON)
// then the blueprint part (the archive), as POST /install and the upload
// of POST /deployments/{id}/update take them.
func withBlueprint(reqBody any, lb *localBlueprint) (*bytes.Buffer, string, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	reqJSON, err := json.Marshal(reqBody)
	if err != nil {
		return nil, "", err
	}
	for _, p := range []struct {
		name, ctype string
		data        []byte
	}{{server.PartRequest, server.ContentJSON, reqJSON}, {server.PartBlueprint, server.ContentTarGz, lb.archive}} {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, p.name, p.name))
		h.Set("Content-Type", p.ctype)
		w, err := mw.CreatePart(h)
		if err != nil {
			return nil, "", err
		}
		if _, err := w.Write(p.data); err != nil {
			return nil, "", err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, "", err
	}
	return &body, mw.FormDataContentType(), nil
}
