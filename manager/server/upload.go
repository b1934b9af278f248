package server

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/gantryhq/gantry/manager"
	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/store"
)

// uploadName stands for the upload's folder in messages when the uploader
// did not name its own.
const uploadName = "the upload"

// upload is a blueprint received in a request, extracted into a folder of
// its own; remove deletes it.
type upload struct {
	root   string // the temporary folder
	dir    string // the blueprint's folder inside it
	main   string // the main file's path
	source string // the uploader's folder, for messages
}

func (u *upload) remove() { _ = os.RemoveAll(u.root) }

// formatOf maps an upload's content type to an archive format ("" for a
// single YAML file).
func formatOf(contentType string) (string, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil && contentType != "" {
		return "", fmt.Errorf("content type %q: %v: %w", contentType, err, api.ErrInvalid)
	}
	switch mt {
	case ContentTarGz, "application/x-gzip", "application/x-tar+gzip", "application/x-compressed-tar":
		return store.FormatTarGz, nil
	case ContentZip, "application/x-zip-compressed":
		return store.FormatZip, nil
	case ContentYAML, "application/x-yaml", "text/yaml", "text/x-yaml":
		return "", nil
	}
	return "", fmt.Errorf("content type %q: a blueprint upload is %s (tar.gz), %s or %s (one file): %w",
		contentType, ContentTarGz, ContentZip, ContentYAML, api.ErrInvalid)
}

// receive reads a bounded upload and extracts it. mainFile names the main
// file at the upload's root (default blueprint.yaml). On error nothing is
// left on disk.
func (s *Server) receive(contentType string, body io.Reader, mainFile, source string) (*upload, error) {
	format, err := formatOf(contentType)
	if err != nil {
		return nil, err
	}
	if mainFile == "" {
		mainFile = manager.DefaultMainFile
	}
	if mainFile != filepath.Base(mainFile) || !filepath.IsLocal(mainFile) {
		return nil, fmt.Errorf("main file %q: a file name at the upload's root: %w", mainFile, api.ErrInvalid)
	}
	limit := s.cfg.Limits.MaxUploadBytes
	data, err := io.ReadAll(io.LimitReader(body, limit+1))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || int64(len(data)) > limit {
		return nil, fmt.Errorf("blueprint upload exceeds %d bytes: %w", limit, api.ErrTooLarge)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the blueprint upload: %v: %w", err, api.ErrInvalid)
	}
	root, err := os.MkdirTemp(s.cfg.TempDir, "gantry-upload-")
	if err != nil {
		return nil, fmt.Errorf("blueprint upload: %w", err)
	}
	u := &upload{root: root, dir: filepath.Join(root, "blueprint"), source: source}
	u.main = filepath.Join(u.dir, mainFile)
	if format == "" {
		err = os.Mkdir(u.dir, 0o700)
		if err == nil {
			err = os.WriteFile(u.main, data, 0o600)
		}
	} else {
		err = store.ExtractUpload(format, data, u.dir, s.cfg.Limits.Archive)
	}
	if err == nil {
		if fi, serr := os.Stat(u.main); serr != nil || !fi.Mode().IsRegular() {
			err = fmt.Errorf("the upload has no file %s at its root (name the main file with ?%s=): %w", mainFile, ParamMain, api.ErrInvalid)
		}
	}
	if err != nil {
		u.remove()
		return nil, u.relocate(err)
	}
	return u, nil
}

// relocate rewrites the temporary folder in an error into the uploader's
// folder, so that messages and problems read as they would locally.
func (u *upload) relocate(err error) error {
	if err == nil {
		return nil
	}
	to := u.source
	if to == "" {
		to = uploadName
	}
	fix := func(s string) string {
		if to == "." {
			s = strings.ReplaceAll(s, u.dir+string(filepath.Separator), "")
		}
		return strings.ReplaceAll(s, u.dir, to)
	}
	out := &api.Error{Code: codeOf(err), Message: fix(err.Error())}
	var pe *api.ProblemsError
	if errors.As(err, &pe) {
		cp := &api.ProblemsError{Path: fix(pe.Path), Problems: append(pe.Problems[:0:0], pe.Problems...)}
		for i := range cp.Problems {
			cp.Problems[i].File = fix(cp.Problems[i].File)
			cp.Problems[i].Message = fix(cp.Problems[i].Message)
			cp.Problems[i].Hint = fix(cp.Problems[i].Hint)
		}
		out.Problems = cp
	}
	return out
}

func (s *Server) uploadBlueprint(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.Limits.MaxUploadBytes)
	u, err := s.receive(r.Header.Get("Content-Type"), r.Body, q.Get(ParamMain), q.Get(ParamSource))
	if err != nil {
		return err
	}
	defer u.remove()
	bp, err := s.cfg.Service.UploadBlueprint(r.Context(), r.PathValue("id"), u.main)
	if err != nil {
		return u.relocate(err)
	}
	return writeJSON(w, http.StatusCreated, bp)
}

// install is POST /install: a multipart body of the InstallBody (JSON)
// then the blueprint upload.
func (s *Server) install(w http.ResponseWriter, r *http.Request) error {
	if s.stopping.Load() {
		return ErrShuttingDown
	}
	var body InstallBody
	u, err := s.receiveParts(w, r, "install", &body, func() (string, string) { return body.MainFile, body.Source })
	if err != nil {
		return err
	}
	defer u.remove()
	req := body.InstallRequest
	req.Path, req.Inputs = u.main, numbersIn(req.Inputs)
	req.Options.OnEvent = nil
	started, err := s.cfg.Service.Install(detached(r), req)
	if err != nil {
		return u.relocate(err)
	}
	s.runs.add(started.Run)
	return writeJSON(w, http.StatusCreated, &InstallResponse{InstallStarted: started, Execution: started.Run.Execution()})
}

// receiveParts reads a multipart request of the part request (JSON,
// decoded into body) then the part blueprint (an upload as for PUT
// /blueprints/{id}, received with the main file and source that names
// reads from the decoded body); what names the endpoint in messages.
func (s *Server) receiveParts(w http.ResponseWriter, r *http.Request, what string, body any, names func() (mainFile, source string)) (*upload, error) {
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.Limits.MaxUploadBytes+s.cfg.Limits.MaxJSONBytes)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, fmt.Errorf("%s: want %s with the parts %q then %q: %v: %w", what, ContentMultipart, PartRequest, PartBlueprint, err, api.ErrInvalid)
	}
	part, err := mr.NextPart()
	if err != nil || part.FormName() != PartRequest {
		return nil, fmt.Errorf("%s: the first part must be %q (JSON): %w", what, PartRequest, api.ErrInvalid)
	}
	if err := decodeJSON(io.LimitReader(part, s.cfg.Limits.MaxJSONBytes), body); err != nil {
		return nil, err
	}
	part, err = mr.NextPart()
	if err != nil || part.FormName() != PartBlueprint {
		return nil, fmt.Errorf("%s: the second part must be %q (the blueprint upload): %w", what, PartBlueprint, api.ErrInvalid)
	}
	mainFile, source := names()
	return s.receive(part.Header.Get("Content-Type"), part, mainFile, source)
}
